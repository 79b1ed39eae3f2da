import http from 'node:http';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { resolvePort } from './processes.ts';

/**
 * A real SMTP server that captures every message instead of relaying it (the local stand-in for SES), and a small
 * HTTP API to read what was sent: `GET /messages` (newest last; `?to=` filters by recipient), `DELETE /messages`.
 */
export interface CapturedMail {
  id: number;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  receivedAt: string;
}

export interface LocalMail {
  smtpUrl: string;
  /** The read API's base URL. */
  url: string;
  messages: CapturedMail[];
  stop(): Promise<void>;
}

const addresses = (value: ParsedMail['to']): string[] => {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  return list.flatMap((group) => group.value.map((address) => (address.address ?? '').toLowerCase()));
};

export async function startLocalMail(options: { smtpPort: number; httpPort: number }): Promise<LocalMail> {
  const smtpPort = await resolvePort(options.smtpPort, 'the SMTP capture server', 'SMTP_PORT');
  const messages: CapturedMail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          messages.push({
            id: messages.length + 1,
            from: parsed.from?.value[0]?.address ?? '',
            to: addresses(parsed.to),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            headers: Object.fromEntries(
              [...parsed.headers].map(([name, value]) => [
                name,
                typeof value === 'string' ? value : JSON.stringify(value),
              ]),
            ),
            receivedAt: new Date().toISOString(),
          });
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(smtpPort, '127.0.0.1', () => resolve());
  });

  const httpPort = await resolvePort(options.httpPort, 'the mail read API', 'MAIL_PORT');
  const api = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== '/messages') {
      response.writeHead(404).end();
      return;
    }
    if (request.method === 'DELETE') {
      messages.length = 0;
      response.writeHead(204).end();
      return;
    }
    const to = url.searchParams.get('to')?.toLowerCase();
    const body = JSON.stringify(to ? messages.filter((message) => message.to.includes(to)) : messages);
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => api.listen(httpPort, '127.0.0.1', () => resolve()));
  const apiAddress = api.address();
  const actualHttpPort = typeof apiAddress === 'object' && apiAddress ? apiAddress.port : httpPort;

  return {
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    url: `http://127.0.0.1:${actualHttpPort}`,
    messages,
    async stop() {
      api.closeAllConnections();
      await new Promise<void>((resolve) => api.close(() => resolve()));
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}
