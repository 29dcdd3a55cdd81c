/**
 * A TDS listener on 127.0.0.1 that answers every login with one server error, as SQL Server and Azure
 * SQL do when they refuse a login (40613 while a database fails over or resumes, 18456 for a wrong
 * password): a PRELOGIN reply without encryption, then an ERROR token and a DONE token for the LOGIN7.
 * The real `mssql` / tedious client goes through its whole login path against it, its own retries
 * included, so a test sees the error exactly as the driver hands it to an application.
 */
import { createServer, type Server, type Socket } from 'node:net';

const PACKET_TABULAR_RESULT = 0x04;
const PACKET_LOGIN7 = 0x10;
const PACKET_PRELOGIN = 0x12;
const STATUS_END_OF_MESSAGE = 0x01;

/** The server error every login gets. */
export interface LoginRefusal {
  readonly number: number;
  readonly message: string;
  /** 14 for a login failure, 20 for an unavailable database. */
  readonly severity?: number;
}

export interface FakeTdsLogin {
  readonly port: number;
  /** LOGIN7 messages received so far: one per login attempt the client made. */
  readonly logins: number;
  close(): Promise<void>;
}

function packet(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt8(type, 0);
  header.writeUInt8(STATUS_END_OF_MESSAGE, 1);
  header.writeUInt16BE(8 + payload.length, 2);
  header.writeUInt8(1, 6);
  return Buffer.concat([header, payload]);
}

/** PRELOGIN reply: VERSION 16.0, ENCRYPTION NOT_SUP (the client was configured with encrypt: false). */
function preloginReply(): Buffer {
  const options = Buffer.from([0x00, 0x00, 11, 0x00, 6, 0x01, 0x00, 17, 0x00, 1, 0xff]);
  const version = Buffer.from([16, 0, 0, 0, 0, 0]);
  return packet(PACKET_TABULAR_RESULT, Buffer.concat([options, version, Buffer.from([0x02])]));
}

function ucs2(text: string, lengthBytes: 1 | 2): Buffer {
  const length = Buffer.alloc(lengthBytes);
  if (lengthBytes === 1) length.writeUInt8(text.length);
  else length.writeUInt16LE(text.length);
  return Buffer.concat([length, Buffer.from(text, 'utf16le')]);
}

/** LOGIN7 reply: ERROR token (TDS 7.2+ layout) then DONE with the error bit, and no LOGINACK. */
function loginRefusalReply(refusal: LoginRefusal): Buffer {
  const body = Buffer.concat([
    Buffer.from(Uint32Array.of(refusal.number).buffer),
    Buffer.from([1, refusal.severity ?? 14]),
    ucs2(refusal.message, 2),
    ucs2('fake-sql', 1),
    ucs2('', 1),
    Buffer.from(Uint32Array.of(1).buffer),
  ]);
  const error = Buffer.concat([Buffer.from([0xaa]), Buffer.from(Uint16Array.of(body.length).buffer), body]);
  const done = Buffer.alloc(13);
  done.writeUInt8(0xfd, 0);
  done.writeUInt16LE(0x0002, 1);
  return packet(PACKET_TABULAR_RESULT, Buffer.concat([error, done]));
}

/** Starts the listener; every connection gets `refusal` for its login. */
export async function startFakeTdsLogin(refusal: LoginRefusal): Promise<FakeTdsLogin> {
  let logins = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8 && pending.length >= pending.readUInt16BE(2)) {
        const type = pending.readUInt8(0);
        const last = (pending.readUInt8(1) & STATUS_END_OF_MESSAGE) !== 0;
        pending = pending.subarray(pending.readUInt16BE(2));
        if (!last) continue;
        if (type === PACKET_PRELOGIN) socket.write(preloginReply());
        else if (type === PACKET_LOGIN7) {
          logins++;
          socket.write(loginRefusalReply(refusal));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fake TDS listener has no port');
  return {
    port: address.port,
    get logins() {
      return logins;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
