import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';

// The CSP forbids inline script and style. Any violation is a defect: it is logged, and the
// end-to-end tests read the list and fail on the first entry.
const violations: string[] = [];
(window as unknown as { __cspViolations: string[] }).__cspViolations = violations;
document.addEventListener('securitypolicyviolation', (e) => {
  violations.push(`${e.violatedDirective} ${e.blockedURI}`);
  console.error('CSP violation', e.violatedDirective, e.blockedURI);
});

const target = document.getElementById('app');
if (!target) throw new Error('missing #app');
export default mount(App, { target });
