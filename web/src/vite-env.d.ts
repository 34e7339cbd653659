/// <reference types="vite/client" />
// Vite's `?worker&url` imports: the URL of a module bundled into one file of its own (vite.config.ts).
declare module '*?worker&url' {
  const url: string;
  export default url;
}
