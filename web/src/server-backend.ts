// Server mode: the engine is a Synchrotron server — its HTTP routes (api.ts), its event socket /ws (reopened
// with a growing delay when it drops) and its master output stream /ws/audio (Listen and Record).

import type { ClientMessage, ServerMessage } from '../../src/api/protocol.js';
import { openAudioStream, type ServerAddress, serverApi, wsUrl } from './api';
import type { Backend, EventHandlers } from './backend';
import { listenToServer } from './listener-source';
import { streamTake } from './recorder';

export class ServerBackend implements Backend {
  readonly mode = 'server';
  readonly where: string;
  readonly api;
  private socket: WebSocket | null = null;
  private retryDelay = 250;
  private sampleRate: number | undefined;

  constructor(readonly server: ServerAddress) {
    this.api = serverApi(server);
    this.where = server.base.replace(/^https?:\/\//, '');
  }

  connect(handlers: EventHandlers) {
    if (this.socket) return;
    const socket = new WebSocket(wsUrl(this.server, '/ws'));
    this.socket = socket;
    socket.onopen = () => {
      this.retryDelay = 250;
      handlers.open();
    };
    socket.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      let message: ServerMessage;
      try {
        message = JSON.parse(event.data) as ServerMessage;
      } catch {
        return;
      }
      if (message.type === 'hello' || message.type === 'status') this.sampleRate = message.status.sampleRate;
      handlers.message(message);
    };
    socket.onclose = () => {
      this.socket = null;
      handlers.close(true);
      setTimeout(() => this.connect(handlers), this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, 3000);
    };
    socket.onerror = () => socket.close();
  }

  isOpen() {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  send(message: ClientMessage) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  listen() {
    return listenToServer(this.server, this.sampleRate);
  }

  record(onEnd: (reason: string) => void) {
    return streamTake((onFrame, onClose) => openAudioStream(this.server, onFrame, onClose), onEnd);
  }
}
