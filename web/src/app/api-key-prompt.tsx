import { useQueryClient } from '@tanstack/react-query';
import { useState, useSyncExternalStore, type FormEvent } from 'react';
import { setApiKey } from '../api/client.js';
import { keyRequired } from './key-required.js';

/**
 * Shown when the server answered 401: it runs with STEPFLOW_API_KEY and this browser has no (or a
 * wrong) key. The key is kept in local storage and sent as a Bearer header (and as the WebSocket
 * subprotocol `bearer.<key>`).
 */
export function ApiKeyPrompt() {
  const required = useSyncExternalStore(keyRequired.subscribe, keyRequired.get);
  const queryClient = useQueryClient();
  const [key, setKey] = useState('');
  if (!required) return null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setApiKey(key.trim());
    keyRequired.set(false);
    void queryClient.invalidateQueries();
  };
  return (
    <form className="key-prompt" onSubmit={submit}>
      <label htmlFor="api-key">This server requires an API key:</label>
      <input
        id="api-key"
        type="password"
        autoComplete="current-password"
        value={key}
        onChange={(event) => setKey(event.target.value)}
      />
      <button type="submit" className="button primary" disabled={key.trim() === ''}>
        Use key
      </button>
    </form>
  );
}
