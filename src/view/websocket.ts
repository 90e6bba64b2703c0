/**
 * A minimal RFC 6455 WebSocket endpoint for node:http servers: text messages both ways, ping/pong, close.
 * Enough for the inspection relay (the `@statelyai/inspect` clients speak plain JSON text frames), without adding a
 * dependency. Not implemented on purpose: extensions (permessage-deflate), subprotocols, binary messages (closed with
 * 1003), and messages above `maxMessageBytes` (closed with 1009).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface WebSocketConnection {
  send(text: string): void;
  close(code?: number): void;
  readonly closed: boolean;
}

export type WebSocketHandlers = Readonly<{
  onMessage?: (connection: WebSocketConnection, text: string) => void;
  onClose?: (connection: WebSocketConnection) => void;
  maxMessageBytes?: number;
}>;

/**
 * Completes the opening handshake on an `upgrade` request and returns the connection, or answers 400 and returns
 * null when the request is not a WebSocket handshake.
 */
export function acceptWebSocket(request: IncomingMessage, socket: Duplex, handlers: WebSocketHandlers): WebSocketConnection | null {
  const key = request.headers['sec-websocket-key'];
  const upgrade = request.headers.upgrade;
  if (typeof key !== 'string' || typeof upgrade !== 'string' || upgrade.toLowerCase() !== 'websocket' || request.headers['sec-websocket-version'] !== '13') {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return null;
  }
  const accept = createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  return new Connection(socket, handlers);
}

class Connection implements WebSocketConnection {
  #socket: Duplex;
  #handlers: WebSocketHandlers;
  #buffer: Buffer = Buffer.alloc(0);
  #fragments: Buffer[] = [];
  #closed = false;

  constructor(socket: Duplex, handlers: WebSocketHandlers) {
    this.#socket = socket;
    this.#handlers = handlers;
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('close', () => this.#finish());
    socket.on('error', () => this.#finish());
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(text: string): void {
    if (!this.#closed) this.#socket.write(frame(0x1, Buffer.from(text, 'utf8')));
  }

  close(code = 1000): void {
    if (this.#closed) return;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.#socket.end(frame(0x8, payload));
    this.#finish();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.onClose?.(this);
  }

  #receive(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const limit = this.#handlers.maxMessageBytes ?? 1 << 20;
    while (!this.#closed) {
      const parsed = parseFrame(this.#buffer, limit);
      if (parsed === 'incomplete') return;
      if (parsed === 'too-big') return this.close(1009);
      if (parsed === 'unmasked') return this.close(1002);
      this.#buffer = this.#buffer.subarray(parsed.length);
      this.#handle(parsed.fin, parsed.opcode, parsed.payload, limit);
    }
  }

  #handle(fin: boolean, opcode: number, payload: Buffer, limit: number): void {
    switch (opcode) {
      case 0x0:
      case 0x1: {
        if (opcode === 0x1) this.#fragments = [];
        this.#fragments.push(payload);
        const size = this.#fragments.reduce((sum, part) => sum + part.length, 0);
        if (size > limit) return this.close(1009);
        if (fin) {
          const text = Buffer.concat(this.#fragments).toString('utf8');
          this.#fragments = [];
          this.#handlers.onMessage?.(this, text);
        }
        return;
      }
      case 0x8:
        return this.close(1000);
      case 0x9:
        if (!this.#closed) this.#socket.write(frame(0xa, payload));
        return;
      case 0xa:
        return;
      default:
        return this.close(1003);
    }
  }
}

type Frame = Readonly<{ fin: boolean; opcode: number; payload: Buffer; length: number }>;

/** Client frames are always masked (RFC 6455 §5.1); an unmasked one is a protocol error. */
function parseFrame(buffer: Buffer, limit: number): Frame | 'incomplete' | 'too-big' | 'unmasked' {
  if (buffer.length < 2) return 'incomplete';
  const first = buffer[0]!;
  const second = buffer[1]!;
  if ((second & 0x80) === 0) return 'unmasked';
  let offset = 2;
  let size = second & 0x7f;
  if (size === 126) {
    if (buffer.length < 4) return 'incomplete';
    size = buffer.readUInt16BE(2);
    offset = 4;
  } else if (size === 127) {
    if (buffer.length < 10) return 'incomplete';
    const big = buffer.readBigUInt64BE(2);
    if (big > BigInt(limit)) return 'too-big';
    size = Number(big);
    offset = 10;
  }
  if (size > limit) return 'too-big';
  if (buffer.length < offset + 4 + size) return 'incomplete';
  const mask = buffer.subarray(offset, offset + 4);
  const payload = Buffer.from(buffer.subarray(offset + 4, offset + 4 + size));
  for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i & 3]!;
  return { fin: (first & 0x80) !== 0, opcode: first & 0x0f, payload, length: offset + 4 + size };
}

/** A server frame: final, unmasked. */
function frame(opcode: number, payload: Buffer): Buffer {
  const size = payload.length;
  const header = size < 126 ? Buffer.alloc(2) : size < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x80 | opcode;
  if (size < 126) header[1] = size;
  else if (size < 65536) {
    header[1] = 126;
    header.writeUInt16BE(size, 2);
  } else {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(size), 2);
  }
  return Buffer.concat([header, payload]);
}
