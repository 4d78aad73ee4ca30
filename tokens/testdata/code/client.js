'use strict';

/**
 * A small HTTP client for the tasks API with retries, request
 * cancellation, and automatic pagination.
 *
 * Usage:
 *   const client = new TasksClient({ baseURL: 'https://api.example.com/v2', token });
 *   for await (const task of client.listTasks({ status: 'open' })) {
 *     console.log(task.id, task.title);
 *   }
 */

const DEFAULT_TIMEOUT_MS = 15000;
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

class APIError extends Error {
  constructor(status, body, requestId) {
    super(`tasks API returned ${status}: ${body?.error?.message ?? 'unknown error'}`);
    this.name = 'APIError';
    this.status = status;
    this.body = body;
    this.requestId = requestId;
  }

  get retryable() {
    return RETRYABLE_STATUS.has(this.status);
  }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

function backoff(attempt, retryAfterHeader) {
  // Honour the server's Retry-After header when it sends one, but never
  // wait longer than 30 seconds for a single attempt.
  const retryAfter = Number.parseFloat(retryAfterHeader);
  if (Number.isFinite(retryAfter) && retryAfter >= 0) {
    return Math.min(retryAfter * 1000, 30000);
  }
  const base = 200 * 2 ** attempt;
  const jitter = Math.random() * base * 0.25;
  return Math.min(base + jitter, 30000);
}

class TasksClient {
  #baseURL;
  #token;
  #maxRetries;
  #timeoutMs;
  #fetch;

  constructor({ baseURL, token, maxRetries = 3, timeoutMs = DEFAULT_TIMEOUT_MS, fetchImpl = globalThis.fetch }) {
    if (!baseURL) throw new TypeError('baseURL is required');
    if (!token) throw new TypeError('token is required');
    this.#baseURL = baseURL.replace(/\/+$/, '');
    this.#token = token;
    this.#maxRetries = maxRetries;
    this.#timeoutMs = timeoutMs;
    this.#fetch = fetchImpl;
  }

  async #request(method, path, { query, body, signal } = {}) {
    const url = new URL(this.#baseURL + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) {
        url.searchParams.set(key, String(value));
      }
    }

    let lastError;
    for (let attempt = 0; attempt <= this.#maxRetries; attempt++) {
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => controller.abort(new Error('request timed out')), this.#timeoutMs);

      try {
        const res = await this.#fetch(url, {
          method,
          headers: {
            Authorization: `Bearer ${this.#token}`,
            'Content-Type': 'application/json',
            Accept: 'application/json',
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: controller.signal,
        });

        if (res.status === 204) return null;
        const text = await res.text();
        const data = text ? JSON.parse(text) : null;
        if (res.ok) return data;

        const err = new APIError(res.status, data, res.headers.get('x-request-id'));
        if (!err.retryable || attempt === this.#maxRetries) throw err;
        lastError = err;
        await sleep(backoff(attempt, res.headers.get('retry-after')), signal);
      } catch (err) {
        if (err instanceof APIError || signal?.aborted) throw err;
        // Network errors and timeouts are retried like 5xx responses.
        lastError = err;
        if (attempt === this.#maxRetries) break;
        await sleep(backoff(attempt), signal);
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }
    }
    throw lastError;
  }

  getTask(id, options) {
    return this.#request('GET', `/tasks/${encodeURIComponent(id)}`, options);
  }

  createTask({ title, description = '', dueDate, labels = [] }, options = {}) {
    if (!title || title.length > 200) {
      throw new RangeError('title must be between 1 and 200 characters');
    }
    return this.#request('POST', '/tasks', {
      ...options,
      body: { title, description, due_date: dueDate?.toISOString(), labels },
    });
  }

  updateTask(id, patch, options = {}) {
    const body = {};
    if ('title' in patch) body.title = patch.title;
    if ('status' in patch) body.status = patch.status;
    if ('labels' in patch) body.labels = [...new Set(patch.labels)];
    return this.#request('PATCH', `/tasks/${encodeURIComponent(id)}`, { ...options, body });
  }

  deleteTask(id, options) {
    return this.#request('DELETE', `/tasks/${encodeURIComponent(id)}`, options);
  }

  async *listTasks(filter = {}, { pageSize = 50, signal } = {}) {
    let cursor;
    do {
      const page = await this.#request('GET', '/tasks', {
        query: { ...filter, limit: pageSize, cursor },
        signal,
      });
      for (const task of page.data) {
        yield {
          ...task,
          dueDate: task.due_date ? new Date(task.due_date) : null,
          createdAt: new Date(task.created_at),
        };
      }
      cursor = page.next_cursor;
    } while (cursor);
  }
}

async function summarise(client, { since }) {
  const counts = { open: 0, done: 0, overdue: 0 };
  const byLabel = new Map();
  const now = Date.now();
  for await (const task of client.listTasks({ updated_since: since.toISOString() })) {
    if (task.status === 'done') {
      counts.done++;
    } else {
      counts.open++;
      if (task.dueDate && task.dueDate.getTime() < now) counts.overdue++;
    }
    for (const label of task.labels ?? []) {
      byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
    }
  }
  const topLabels = [...byLabel.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
  return { ...counts, topLabels };
}

module.exports = { TasksClient, APIError, summarise };
