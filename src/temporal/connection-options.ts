import type { TLSConfig } from '@temporalio/client';
import type { TemporalConfig } from '../config';

/** What both `Connection.connect` (client) and `NativeConnection.connect` (worker) take for a secured cluster. */
export interface TemporalConnectionOptions {
  address: string;
  /** false: plaintext, even with an API key (explicit TEMPORAL_TLS=false); otherwise the TLS settings. */
  tls: TLSConfig | false;
  apiKey?: string;
  /** gRPC headers on every call (a profile's `grpc_meta`). */
  metadata?: Record<string, string>;
}

/**
 * Connection options from the configuration: TLS with the configured CA (or the system roots), the
 * mTLS client pair and SNI override, and the API key. `address` overrides the configured one.
 */
export function temporalConnectionOptions(
  temporal: TemporalConfig,
  address = temporal.address,
): TemporalConnectionOptions {
  const { tls } = temporal;
  return {
    address,
    tls:
      tls === false
        ? false
        : {
            ...(tls.serverRootCACertificate && { serverRootCACertificate: tls.serverRootCACertificate }),
            ...(tls.clientCertPair && { clientCertPair: tls.clientCertPair }),
            ...(tls.serverNameOverride !== undefined && { serverNameOverride: tls.serverNameOverride }),
          },
    ...(temporal.apiKey !== undefined && { apiKey: temporal.apiKey }),
    ...(temporal.metadata && { metadata: temporal.metadata }),
  };
}

/** One line for start-up logs: how the connection is secured, naming files and header names but never a secret. */
export function describeConnectionSecurity(temporal: TemporalConfig): string {
  const { tls } = temporal;
  const parts: string[] = [];
  if (tls === false) parts.push('plaintext');
  else {
    parts.push(tls.clientCertPair ? `mTLS (client certificate ${tls.files.cert})` : 'TLS');
    parts.push(tls.files.ca ? `CA ${tls.files.ca}` : 'system CAs');
    if (tls.serverNameOverride !== undefined) parts.push(`server name ${tls.serverNameOverride}`);
  }
  if (temporal.apiKey !== undefined) parts.push('API key');
  if (temporal.metadata) parts.push(`gRPC headers ${Object.keys(temporal.metadata).join(', ')}`);
  if (temporal.profile) parts.push(`merged with ${temporal.profile}`);
  return parts.join(', ');
}
