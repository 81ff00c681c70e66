import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { ApiError } from './api/client.js';
import { keyRequired } from './app/key-required.js';
import { router } from './app/router.js';
import { ME_KEY, needsSignIn } from './app/session.js';
import { LiveProvider } from './live/live-context.js';
import './styles/base.css';

// Before the first paint, so a chosen theme never flashes the other one.
const savedTheme = localStorage.getItem('stepflow.theme');
if (savedTheme === 'light' || savedTheme === 'dark') document.documentElement.dataset.theme = savedTheme;

const onError = (error: Error, query?: { queryKey: readonly unknown[] }) => {
  if (!(error instanceof ApiError) || error.status !== 401) return;
  // A server with users wants a sign-in (the session ended): ask who is signed in, and the layout
  // shows the login page (unless that was the question). Otherwise it wants an API key.
  if (needsSignIn(error)) {
    if (query?.queryKey[0] !== ME_KEY[0]) void queryClient.invalidateQueries({ queryKey: ME_KEY });
  } else keyRequired.set(true);
};
const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({ onError: (error) => onError(error) }),
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      // A 404 or a validation error will not fix itself by asking again.
      retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 3,
      refetchOnWindowFocus: false,
    },
  },
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <LiveProvider>
        <RouterProvider router={router} />
      </LiveProvider>
    </QueryClientProvider>
  </StrictMode>,
);
