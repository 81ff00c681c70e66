import { Link } from 'react-router';
import { PageHeader } from '../../components/page-header.js';

/** A job page whose job could not be loaded: why, and the way back to the list. */
export function JobUnavailable({ title, error }: { title: string; error: Error }) {
  return (
    <div className="page">
      <PageHeader title={title} />
      <p className="error-text" role="alert">
        {error.message} <Link to="/jobs">All jobs</Link>
      </p>
    </div>
  );
}
