/** The operator console's pages, one chunk loaded on demand (partners and customers never download it). */
export { ConsolePartners, ConsolePayments, PayoutRunDetail, PayoutRuns } from './console.tsx';
export { ConsoleEvent, ConsoleEvents, ConsoleWebhooks } from './console-events.tsx';
export { ConsoleAdjustments, ConsoleReconciliation } from './console-money.tsx';
export { ConsoleOrder, ConsolePartner } from './console-more.tsx';
