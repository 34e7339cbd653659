import '@xyflow/react/dist/style.css';
import './styles.css';
import './controllers';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { servedByServer, serverApi, serverToken } from './api';
import { type Backend, requestedMode, setBackend } from './backend';
import { ServerBackend } from './server-backend';

/**
 * Where the engine is (backend.ts): asked for in the address, else the server that served this page when
 * there is one, else the engine in this page — a static host with no server behind it plays by itself.
 */
async function chooseBackend(): Promise<Backend> {
  const asked = requestedMode();
  const token = serverToken();
  if (asked?.mode === 'server') return new ServerBackend({ base: asked.url, token });
  if (asked?.mode !== 'local' && /^https?:$/.test(location.protocol)) {
    if (await servedByServer(token)) return new ServerBackend({ base: location.origin, token });
    // `npx vite` during development serves the page itself and proxies the API to a server.
    const own = { base: location.origin, token };
    if (
      import.meta.env.DEV &&
      (await serverApi(own)
        .status()
        .catch(() => null))
    )
      return new ServerBackend(own);
  }
  // Loaded only in local mode: the engine, its nodes and kernels stay out of the server mode's page.
  const { LocalBackend } = await import('./local-backend');
  return new LocalBackend();
}

setBackend(await chooseBackend());
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
