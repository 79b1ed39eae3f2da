import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * One logger and one metrics instance per execution environment. Service name, namespace and level come from the
 * standard POWERTOOLS_* variables set by the stack (and by the local stack, which disables metrics output).
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'connect-payouts' });

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'ConnectPayouts',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'connect-payouts',
  // Metrics warns on every request that records no metric; that is normal here, so it goes to debug.
  logger: {
    debug: (...args: unknown[]) => logger.debug(String(args[0])),
    info: (...args: unknown[]) => logger.info(String(args[0])),
    warn: (...args: unknown[]) => logger.debug(String(args[0])),
    error: (...args: unknown[]) => logger.error(String(args[0])),
  },
});
