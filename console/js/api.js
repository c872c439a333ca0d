// The console's only way to the server: the documented /api/v1 and /v1
// endpoints, with the session's bearer token. Errors carry the server's
// OpenAI-shaped {error: {message, code, param}}.

const KEY = 'daulat.session';

export class ApiError extends Error {
  constructor(status, error) {
    super((error && error.message) || 'HTTP ' + status);
    this.status = status;
    this.code = error && error.code;
    this.param = error && error.param;
  }
}

// {token, expires_at (unix s, 0 = none), kind: 'password'|'key'}; the tab's
// sessionStorage only, so closing the tab signs out and other sites never see it.
export function session() {
  try { return JSON.parse(sessionStorage.getItem(KEY)); } catch { return null; }
}
export function setSession(s) {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}
export function sessionExpired(s = session()) {
  return Boolean(s && s.expires_at && Date.now() / 1000 >= s.expires_at);
}

function expire(reason) {
  setSession(null);
  window.dispatchEvent(new CustomEvent('daulat:signed-out', { detail: { reason } }));
}

function headers(extra = {}) {
  const s = session();
  const out = Object.assign({}, extra);
  if (s && s.token) out.Authorization = 'Bearer ' + s.token;
  return out;
}

async function fail(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (res.status === 401 && session()) expire('expired');
  return new ApiError(res.status, body && body.error);
}

export async function api(method, path, body, { signal, raw } = {}) {
  if (sessionExpired()) { expire('expired'); throw new ApiError(401, { message: 'session expired' }); }
  const init = { method, headers: headers(), signal, credentials: 'omit' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (!res.ok) throw await fail(res);
  if (raw) return res;
  return res.status === 204 ? null : res.json();
}

// POSTs a streaming request and calls onEvent(object) for each SSE "data:"
// JSON event until [DONE]. An {error} event rejects. Abort with `signal`.
export async function stream(path, body, onEvent, { signal } = {}) {
  const res = await fetch(path, {
    method: 'POST', signal, credentials: 'omit',
    headers: headers({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
    body: JSON.stringify(Object.assign({}, body, { stream: true })),
  });
  if (!res.ok) throw await fail(res);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
      if (!data) continue;
      if (data === '[DONE]') return;
      const obj = JSON.parse(data);
      if (obj.error) throw new ApiError(obj.error.status || 500, obj.error);
      onEvent(obj);
    }
  }
}

// Multipart upload with progress (fetch cannot report upload progress).
// Resolves with the parsed JSON reply.
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    const s = session();
    if (s && s.token) xhr.setRequestHeader('Authorization', 'Bearer ' + s.token);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
    xhr.onerror = () => reject(new ApiError(0, { message: 'network error' }));
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else {
        if (xhr.status === 401) expire('expired');
        reject(new ApiError(xhr.status, body && body.error));
      }
    };
    xhr.send(form);
  });
}

export async function signIn({ tenant, username, password, key }) {
  if (key) {
    setSession({ token: key, expires_at: 0, kind: 'key' });
    try {
      const me = await api('GET', '/api/v1/me');
      if (!me.authenticated) throw new ApiError(401, { message: 'invalid API key' });
      return me;
    } catch (e) { setSession(null); throw e; }
  }
  setSession(null);
  const r = await api('POST', '/api/v1/auth/login', { tenant: tenant || undefined, username, password });
  setSession({ token: r.token, expires_at: r.expires_at, kind: 'password' });
  return api('GET', '/api/v1/me');
}

export async function signOut() {
  const s = session();
  if (s && s.kind === 'password') {
    try { await api('POST', '/api/v1/auth/logout'); } catch { /* already gone */ }
  }
  setSession(null);
}
