import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { start } from './api/backend.ts';
import { initToken } from './api/token.ts';
import { syncUrlState } from './state/url-state.ts';
import './styles/app.css';

initToken();
syncUrlState();
start();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
