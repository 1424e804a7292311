import { ApiError, STATE_CHANGE_HEADER } from '../../api/request.js';

// Sending a capture to the server (POST /api/sessions) and checking the upload form's fields first.

export interface UploadFields {
  name: string;
  localNets: string;
  window: string;
  baseline: string;
  /** An intel list for this upload alone (the text of a file the user picked), or ''. */
  intel: string;
}

/**
 * POSTs the capture as multipart with XMLHttpRequest, whose upload events give a progress bar
 * (fetch has none). The text fields go before the file so a streaming parser has them first.
 */
export function uploadCapture(
  file: File,
  fields: UploadFields,
  onProgress: (loaded: number, total: number) => void,
): { done: Promise<string>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<string>((resolve, reject) => {
    xhr.open('POST', '/api/sessions');
    for (const [k, v] of Object.entries(STATE_CHANGE_HEADER)) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      let body: { session_id?: string; error?: string } = {};
      try {
        body = JSON.parse(xhr.responseText || '{}');
      } catch {
        // not JSON
      }
      if (xhr.status >= 200 && xhr.status < 300 && body.session_id) resolve(body.session_id);
      else reject(new ApiError(xhr.status, body.error ?? `Upload failed (${xhr.status} ${xhr.statusText}).`));
    };
    xhr.onerror = () => reject(new ApiError(0, 'The upload was interrupted: the server cannot be reached.'));
    xhr.onabort = () => reject(new ApiError(0, 'Upload cancelled.'));
    const form = new FormData();
    if (fields.name.trim()) form.append('name', fields.name.trim());
    if (fields.localNets.trim()) form.append('local_nets', fields.localNets.replace(/\s+/g, ''));
    if (fields.window.trim() && fields.window.trim() !== 'auto') form.append('window', fields.window.trim());
    if (fields.baseline) form.append('baseline', fields.baseline);
    // As a file of its own (text fields are limited to 4 kB).
    if (fields.intel.trim())
      form.append('intel', new Blob([fields.intel], { type: 'text/plain' }), 'intel.txt');
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

/** Why the upload form's options would be refused, or null when they are fine. */
export function checkFields(f: UploadFields): string | null {
  const w = f.window.trim();
  if (w && w !== 'auto' && !(Number(w) > 0)) return 'Window length: "auto" or a number of seconds above 0.';
  const nets = f.localNets
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const cidr = /^([0-9.]+|[0-9a-fA-F:]+)\/\d{1,3}$/;
  const bad = nets.find((n) => !cidr.test(n));
  if (bad) return `Local networks: "${bad}" is not a CIDR like 10.0.0.0/8.`;
  return null;
}
