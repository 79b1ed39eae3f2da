/**
 * The Stripe API version every request of ours is made with, and that the local emulator answers with by default.
 * It is the version the installed `stripe` SDK's types describe: upgrading the SDK fails a unit test until this
 * line is changed on purpose (after reading Stripe's changelog for what moved between the two versions).
 */
export const STRIPE_API_VERSION = '2026-10-28.endive' as const;
