// HTTP plumbing every route shares: JSON answers, the error shape `{"detail": …}` with the status that
// fits each kind of mistake, lenient JSON bodies, and answers for requests Node or Fastify refuse early.

import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SynchrotronError } from '../engine/errors.js';

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  unknown_type: 404,
  unknown_node: 404,
  unknown_port: 404,
  invalid: 422,
  conflict: 409,
  syntax: 400,
  // A file the client named could not be read or written: the request's problem, reported, not a 500.
  io: 422,
  // More than a limit allows (nodes, value bytes, open files, results): the detail names the flag.
  limit: 413,
};

export function statusOf(error: SynchrotronError): number {
  return Object.hasOwn(STATUS_BY_CODE, error.code) ? STATUS_BY_CODE[error.code] : 400;
}

export function sendJson(reply: FastifyReply, value: unknown, status = 200): FastifyReply {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(value ?? null));
}

/** Answers JSON text made already (a cached answer). */
export function sendJsonText(reply: FastifyReply, text: string): FastifyReply {
  return reply.code(200).type('application/json; charset=utf-8').send(text);
}

/** An error as the API answers it: `{"detail": ..., "code": ..., ...facts}`. */
export function errorBody(error: SynchrotronError): Record<string, unknown> {
  return { detail: error.message, code: error.code, ...error.details };
}

/** A Synchrolang failure: always 400 (SPEC §4), with line and column when known. */
export function scriptError(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof SynchrotronError) {
    const details = error.details as { line?: number; column?: number };
    return sendJson(
      reply,
      { ...errorBody(error), line: details.line ?? 1, column: details.column ?? 1 },
      400,
    );
  }
  throw error;
}

/** A raw HTTP answer on a socket (refused upgrades, requests the parser rejected), then closed. */
function rawAnswer(socket: Socket, status: number, text: string, body: string): void {
  if (!socket.writable) return;
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
};

/** Answers a refused request; a refused WebSocket upgrade on the raw socket, so nothing lingers. */
export function refuse(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  detail: string,
  extra: Record<string, unknown> = {},
): FastifyReply {
  const body = JSON.stringify({ detail, ...extra });
  if (request.headers.upgrade) {
    reply.hijack();
    rawAnswer(request.raw.socket, status, STATUS_TEXT[status] ?? 'Error', body);
    return reply;
  }
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** A failure to listen, said in the user's terms (which option to change) instead of a system code. */
export function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const reason: Record<string, string> = {
    EADDRINUSE: `port ${port} on ${host} is already in use (another Synchrotron server?): stop it or choose another port with --port`,
    EACCES: `not allowed to listen on port ${port} (ports below 1024 need privileges): choose another with --port`,
    EADDRNOTAVAIL: `cannot listen on ${host}: this machine has no such address (--host)`,
    ENOTFOUND: `cannot listen on ${host}: no such host name (--host)`,
    EAI_AGAIN: `cannot listen on ${host}: the host name could not be resolved (--host)`,
  };
  const message = code && Object.hasOwn(reason, code) ? reason[code] : undefined;
  return message ? Object.assign(new Error(message), { code }) : error;
}

/** Requests Node's HTTP parser refuses (oversized headers, garbage): a JSON `detail` like every answer. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, text, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'request headers too large (a very long URL or cookie?)']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request took too long to arrive']
        : [400, 'Bad Request', `malformed HTTP request: ${error.message}`];
  const body = JSON.stringify({ detail, code: error.code });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

interface ValidationFailure {
  validation: Array<{ instancePath: string; keyword: string; message?: string }>;
  validationContext?: string;
}

/**
 * For a body that may take several shapes (one message or a list of them), ajv reports every shape's
 * complaint ("must be array, must match a schema in anyOf"); keep only the ones about the body's parts.
 */
function unionMessage(failure: ValidationFailure): string | undefined {
  const all = failure.validation;
  if (!all.some((e) => e.keyword === 'anyOf')) return undefined;
  const deeper = (path: string) => all.some((e) => e.instancePath.startsWith(`${path}/`));
  const specific = all.filter((e) => e.keyword !== 'anyOf' && !deeper(e.instancePath));
  if (specific.length === 0) return undefined;
  return specific
    .map((e) => `${failure.validationContext ?? 'body'}${e.instancePath} ${e.message}`)
    .join(', ');
}

/** Every error a route throws becomes `{"detail": …}` with its status; unknown routes a 404 likewise. */
export function installErrors(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof SynchrotronError) return sendJson(reply, errorBody(error), statusOf(error));
    const fastifyError = error as {
      statusCode?: number;
      validation?: unknown;
      code?: string;
      message?: string;
    };
    if (fastifyError.validation) {
      const missingBody =
        (error as { validationContext?: string }).validationContext === 'body' && request.body === undefined;
      const detail = missingBody
        ? `missing body: ${request.method} ${request.routeOptions.url} takes a JSON body (see /docs)`
        : (unionMessage(error as ValidationFailure) ?? fastifyError.message);
      return sendJson(reply, { detail, code: 'invalid' }, 422);
    }
    const status = fastifyError.statusCode;
    if (status && status >= 400 && status < 500) {
      const detail =
        status === 413
          ? `request body too large: ${fastifyError.message}`
          : (fastifyError.message ?? 'bad request');
      return sendJson(reply, { detail, code: fastifyError.code }, status);
    }
    request.log.error(error);
    return sendJson(reply, { detail: `internal error: ${fastifyError.message ?? String(error)}` }, 500);
  });
  app.setNotFoundHandler((request, reply) =>
    sendJson(reply, { detail: `no route ${request.method} ${request.url.split('?')[0]}` }, 404),
  );
}

/**
 * JSON routes read a JSON body whatever its content type says: `curl -d` sends form-encoded, and the
 * original server parsed such bodies as JSON. Invalid JSON is a 400 with the parser's reason.
 */
export function installLenientJson(app: FastifyInstance): void {
  // text/plain and application/json go through the same parser: one behaviour, one kind of message.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    const text = String(body);
    // Routes that take no body ignore whatever a client sends along, as the original did.
    if (text.trim() === '' || !request.routeOptions.schema?.body) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(
        Object.assign(new Error(`body is not valid JSON: ${(error as Error).message}`), { statusCode: 400 }),
      );
    }
  });
}
