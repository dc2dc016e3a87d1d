import { redactUrl } from '../redact-url';
import { fail, pass, skip, type DoctorCheck } from './check';

/** Redis is the engine cache's optional second level: checked only when REDIS_URL is set. */
export const redisCheck: DoctorCheck = {
  id: 'redis',
  title: 'Redis',
  requires: ['config'],
  async run(ctx) {
    const url = ctx.config!.redisUrl;
    if (url === undefined) return skip('not configured (REDIS_URL)');
    const shown = redactUrl(url, 'REDIS_URL');
    // Loaded only when configured, as the cache does.
    const { Redis } = await import('ioredis');
    const client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: ctx.timeoutMs,
      commandTimeout: ctx.timeoutMs,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null, // one attempt: the doctor reports, it does not wait out an outage
    });
    // ioredis rejects connect() with a bare "Connection is closed."; the socket's own error says why.
    let socketError: Error | undefined;
    client.on('error', (err: Error) => {
      socketError ??= err;
    });
    try {
      await client.connect();
      const pong = await client.ping();
      return pass(`${shown} answers PING (${pong})`);
    } catch (err) {
      return fail(
        `${shown}: ${(socketError ?? (err as Error)).message}`,
        'start Redis or fix REDIS_URL (viralflow works without it: unset REDIS_URL to use the in-process cache only)',
      );
    } finally {
      client.disconnect();
    }
  },
};
