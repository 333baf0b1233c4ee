// A tiny hash router: the current route is derived from location.hash.
export type Route =
  | { name: 'today' }
  | { name: 'customers' }
  | { name: 'customer-new' }
  | { name: 'customer'; id: number }
  | { name: 'customer-edit'; id: number }
  | { name: 'invoices' }
  | { name: 'invoice-new'; customer?: string }
  | { name: 'invoice-write'; draft?: number; customer?: string }
  | { name: 'invoice'; id: number }
  | { name: 'invoice-edit'; id: number }
  | { name: 'contracts' }
  | { name: 'contract-new' }
  | { name: 'contract'; reference: string }
  | { name: 'contract-amend'; reference: string }
  | { name: 'reports' }
  | { name: 'dashboard' }
  | { name: 'import' }
  | { name: 'disputes' }
  | { name: 'bank'; line?: number }
  | { name: 'settings' };

export function parseRoute(hash: string): Route {
  const [path = '', queryString = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  const query = new URLSearchParams(queryString);
  const id = Number(parts[1]);
  switch (parts[0]) {
    case 'customers':
      if (parts[1] === 'new') return { name: 'customer-new' };
      if (Number.isInteger(id) && id > 0) return parts[2] === 'edit' ? { name: 'customer-edit', id } : { name: 'customer', id };
      return { name: 'customers' };
    case 'invoices':
      if (parts[1] === 'new') return { name: 'invoice-new', customer: query.get('customer') ?? undefined };
      if (parts[1] === 'write') {
        const draft = Number(parts[2]);
        return Number.isInteger(draft) && draft > 0 ? { name: 'invoice-write', draft } : { name: 'invoice-write', customer: query.get('customer') ?? undefined };
      }
      if (Number.isInteger(id) && id > 0) return parts[2] === 'edit' ? { name: 'invoice-edit', id } : { name: 'invoice', id };
      return { name: 'invoices' };
    case 'contracts':
      if (parts[1] === 'new') return { name: 'contract-new' };
      if (parts[1] && parts[2] === 'amend') return { name: 'contract-amend', reference: decodeURIComponent(parts[1]) };
      if (parts[1]) return { name: 'contract', reference: decodeURIComponent(parts[1]) };
      return { name: 'contracts' };
    case 'reports':
      return { name: 'reports' };
    case 'dashboard':
      return { name: 'dashboard' };
    case 'import':
      return { name: 'import' };
    case 'disputes':
      return { name: 'disputes' };
    case 'bank': {
      const line = Number(query.get('line'));
      return Number.isInteger(line) && line > 0 ? { name: 'bank', line } : { name: 'bank' };
    }
    case 'settings':
      return { name: 'settings' };
    default:
      return { name: 'today' };
  }
}

/** The sidebar section a route belongs to (its nav entry's `data-testid` suffix). */
export function sectionOf(route: Route): string {
  switch (route.name) {
    case 'customers':
    case 'customer':
    case 'customer-new':
    case 'customer-edit':
      return 'customer';
    case 'invoices':
    case 'invoice':
    case 'invoice-new':
    case 'invoice-write':
    case 'invoice-edit':
      return 'invoice';
    case 'disputes':
      return 'dispute';
    case 'contracts':
    case 'contract':
    case 'contract-new':
    case 'contract-amend':
      return 'contract';
    default:
      return route.name;
  }
}

export const router = $state({ route: parseRoute(window.location.hash) });

window.addEventListener('hashchange', () => {
  router.route = parseRoute(window.location.hash);
});

export function go(hash: string): void {
  window.location.hash = hash;
}
