import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';

export interface TlsProxy {
  /** 127.0.0.1:<port> */
  address: string;
  port: number;
  /** Handshakes that completed, with the client certificate's CN; and those refused, with why. */
  accepted: Array<{ clientCn: string }>;
  refused: string[];
  close(): Promise<void>;
}

/**
 * A TLS (and, with `clientCa`, mTLS) front for a plaintext gRPC server such as `temporal server
 * start-dev`, which has no TLS options: it terminates TLS, negotiates HTTP/2 by ALPN, and pipes the
 * decrypted bytes to the server, as a TLS-terminating load balancer in front of a cluster does.
 */
export async function startTlsProxy(options: {
  target: string;
  cert: string;
  key: string;
  clientCa?: string;
}): Promise<TlsProxy> {
  const [host, port] = [
    options.target.slice(0, options.target.lastIndexOf(':')),
    Number(options.target.slice(options.target.lastIndexOf(':') + 1)),
  ];
  const accepted: TlsProxy['accepted'] = [];
  const refused: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer(
    {
      cert: readFileSync(options.cert),
      key: readFileSync(options.key),
      ALPNProtocols: ['h2'],
      ...(options.clientCa && { ca: readFileSync(options.clientCa), requestCert: true, rejectUnauthorized: true }),
    },
    (socket: TLSSocket) => {
      accepted.push({ clientCn: String(socket.getPeerCertificate()?.subject?.CN ?? '') });
      const upstream = connect({ host, port });
      sockets.add(socket).add(upstream);
      const end = () => {
        socket.destroy();
        upstream.destroy();
        sockets.delete(socket);
        sockets.delete(upstream);
      };
      socket.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      socket.pipe(upstream).pipe(socket);
    },
  );
  server.on('tlsClientError', (err) => refused.push(err.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const listening = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${listening}`,
    port: listening,
    accepted,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
