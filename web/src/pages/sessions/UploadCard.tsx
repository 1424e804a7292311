import { type DragEvent, type FormEvent, useRef, useState } from 'react';
import { Link } from 'react-router';
import { formatBytes, formatPercent } from '../../../../src/format/index.js';
import type { Session } from '../../api/types';
import { ProgressBar } from '../../components/ui';
import { useSessions } from '../../shell/sessions';
import { checkFields, type UploadFields, uploadCapture } from './upload';

type UploadState =
  | { kind: 'idle' }
  | { kind: 'uploading'; file: File; loaded: number; total: number; abort: () => void }
  | { kind: 'sent'; file: File; sessionId: string }
  | { kind: 'error'; message: string };

/** The drop zone, the upload's options and its progress. */
export function UploadCard({ sessions }: { sessions: Session[] }) {
  const { reload } = useSessions();
  const [file, setFile] = useState<File | null>(null);
  const [fields, setFields] = useState<UploadFields>({
    name: '',
    localNets: '',
    window: 'auto',
    baseline: '',
    intel: '',
  });
  const [state, setState] = useState<UploadState>({ kind: 'idle' });
  const [over, setOver] = useState(false);
  const [showOptions, setShowOptions] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const completed = sessions.filter((s) => s.status === 'completed');

  const pick = (f: File | undefined) => {
    if (!f) return;
    setFile(f);
    if (state.kind !== 'uploading') setState({ kind: 'idle' });
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    pick(e.dataTransfer.files[0]);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    const problem = checkFields(fields);
    if (problem) {
      setState({ kind: 'error', message: problem });
      return;
    }
    const { done, abort } = uploadCapture(file, fields, (loaded, total) =>
      setState({ kind: 'uploading', file, loaded, total, abort }),
    );
    setState({ kind: 'uploading', file, loaded: 0, total: file.size, abort });
    try {
      const sessionId = await done;
      setState({ kind: 'sent', file, sessionId });
      setFile(null);
      setFields((f) => ({ ...f, name: '' }));
      if (input.current) input.current.value = '';
      reload();
    } catch (err) {
      setState({ kind: 'error', message: (err as Error).message });
    }
  };
  const uploading = state.kind === 'uploading';

  return (
    <form className="card upload" onSubmit={submit}>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: a drop target; the file button inside it is the keyboard and screen-reader path */}
      <div
        className={`dropzone${over ? ' over' : ''}${file ? ' has-file' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        data-testid="dropzone"
      >
        <div className="dropzone-text">
          {file ? (
            <>
              <strong>{file.name}</strong> <span className="muted">({formatBytes(file.size)})</span>
            </>
          ) : (
            <>
              <strong>Drop a capture here</strong>
              <span className="muted"> — pcap or pcapng, optionally gzip-compressed</span>
            </>
          )}
        </div>
        <label className="btn">
          {file ? 'Choose another file' : 'Choose a file'}
          <input
            ref={input}
            type="file"
            className="visually-hidden"
            accept=".pcap,.pcapng,.cap,.gz,.pcap.gz,.pcapng.gz,application/vnd.tcpdump.pcap"
            onChange={(e) => pick(e.target.files?.[0])}
            data-testid="file-input"
          />
        </label>
      </div>
      <div className="upload-row">
        <label className="field field-name">
          <span>Name</span>
          <input
            type="text"
            placeholder={file?.name ?? 'the file name'}
            value={fields.name}
            onChange={(e) => setFields({ ...fields, name: e.target.value })}
          />
        </label>
        <button type="button" className="btn btn-link" onClick={() => setShowOptions(!showOptions)}>
          {showOptions ? 'Fewer options' : 'More options'}
        </button>
        <button type="submit" className="btn btn-primary" disabled={!file || uploading}>
          {uploading ? 'Uploading…' : 'Upload and analyse'}
        </button>
      </div>
      {showOptions && (
        <div className="upload-row upload-options">
          <label className="field">
            <span>Local networks</span>
            <input
              type="text"
              placeholder="default: RFC 1918, CGNAT, link-local, loopback, ULA"
              value={fields.localNets}
              onChange={(e) => setFields({ ...fields, localNets: e.target.value })}
            />
            <small>Comma-separated CIDRs; decide what counts as inbound and outbound.</small>
          </label>
          <label className="field field-narrow">
            <span>Window length</span>
            <input
              type="text"
              value={fields.window}
              onChange={(e) => setFields({ ...fields, window: e.target.value })}
            />
            <small>"auto" or seconds</small>
          </label>
          <label className="field">
            <span>Baseline</span>
            <select
              value={fields.baseline}
              onChange={(e) => setFields({ ...fields, baseline: e.target.value })}
            >
              <option value="">This capture (no baseline)</option>
              {completed.map((s) => (
                <option key={s.session_id} value={s.session_id}>
                  {s.name}
                </option>
              ))}
            </select>
            <small>Score the windows with a model fitted on a known-normal session.</small>
          </label>
          <label className="field">
            <span>Intel list</span>
            <input
              type="file"
              accept=".txt,.csv,text/plain,text/csv"
              data-testid="upload-intel"
              onChange={async (e) => {
                const f = e.target.files?.[0];
                setFields({ ...fields, intel: f ? await f.text() : '' });
              }}
            />
            <small>
              IPs, networks, domains, JA3/JA4 to alert on for this capture (kept lists: Settings).
            </small>
          </label>
        </div>
      )}
      {state.kind === 'uploading' && (
        <div className="upload-status">
          <div className="upload-status-line">
            Uploading {state.file.name}:{' '}
            {formatPercent(state.total ? (state.loaded / state.total) * 100 : 0, 0)} (
            {formatBytes(state.loaded)} of {formatBytes(state.total)})
            <button type="button" className="btn btn-small" onClick={state.abort}>
              Cancel
            </button>
          </div>
          <ProgressBar value={state.total ? state.loaded / state.total : null} label="Upload progress" />
        </div>
      )}
      {state.kind === 'sent' && (
        <p className="upload-note" role="status">
          {state.file.name} uploaded. Its analysis runs in the list below;{' '}
          <Link to={`/sessions/${encodeURIComponent(state.sessionId)}`}>open it</Link> to watch it there.
        </p>
      )}
      {state.kind === 'error' && (
        <p className="form-error" role="alert">
          {state.message}
        </p>
      )}
    </form>
  );
}
