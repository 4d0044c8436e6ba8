/** What a failed resource call rejects with (Grafana's FetchError), as far as the plugin reads it. */
interface ResourceFailure {
  status?: number;
  message?: string;
  data?: { message?: string; error?: string; retryAfter?: number };
}

/**
 * The message of whatever a failed resource call rejected with: the backend's
 * `{"error": "..."}` (Grafana copies it into `data.message` too), or the request's own.
 */
export function errorMessage(error: unknown): string {
  if (error && typeof error === 'object') {
    const { data, message } = error as ResourceFailure;
    return data?.message || data?.error || message || 'request failed';
  }
  return String(error);
}

/**
 * For a 429 answer, the seconds to wait before asking again: the body's `retryAfter`, which
 * the backend copies from the Retry-After header (Grafana does not hand headers to a plugin
 * with an error). Undefined for any other failure.
 */
export function retryAfterSeconds(error: unknown): number | undefined {
  if (!error || typeof error !== 'object') {
    return undefined;
  }
  const { status, data } = error as ResourceFailure;
  const seconds = data?.retryAfter;
  return status === 429 && typeof seconds === 'number' && seconds > 0 ? seconds : undefined;
}
