//! Read models that combine several subjects: what one screen shows at once (the customer
//! page, the invoice page, the dashboard). They only read; every write lives in the subject's
//! own module below: the aged balance; later payer profiles and the cash-in forecast.

pub mod aged;
pub mod balances;
pub mod customer_page;
pub mod dashboard;
pub mod invoice_page;
pub mod overview;
pub mod profile;
pub mod segments;

pub use customer_page::CustomerDetail;
pub use dashboard::Dashboard;
pub use invoice_page::{InvoiceDetail, Settlement};
