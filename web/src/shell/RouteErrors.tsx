import { isRouteErrorResponse, Link, useRouteError } from 'react-router';
import { Empty, ErrorNote } from '../components/ui';

// What the router shows when a page throws, and at an address that is no page.

export function RouteError() {
  const err = useRouteError();
  const message = isRouteErrorResponse(err)
    ? `${err.status} ${err.statusText}`
    : err instanceof Error
      ? err.message
      : String(err);
  return (
    <div className="content">
      <ErrorNote error={new Error(message)} />
      <p>
        <a href="/sessions">Back to the sessions</a>
      </p>
    </div>
  );
}

export function NotFound() {
  return (
    <Empty height={240}>
      <p>There is no page at this address.</p>
      <Link to="/sessions" className="btn">
        Go to the sessions
      </Link>
    </Empty>
  );
}
