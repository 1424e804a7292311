import { useCallback, useEffect, useState } from 'react';
import { formatCount } from '../../../../src/format/index.js';
import { apiPostJson, apiRequest } from '../../api/request';
import { Card } from '../../components/ui';

// Settings kept by the server: the intel lists every analysis is matched against (an alert names
// the list entry of each match; docs/DETECTION.md, "Intel lists").

interface IntelList {
  list_id: number;
  name: string;
  entry_count: number;
  created_at: string;
}

export function SettingsPage() {
  const [lists, setLists] = useState<IntelList[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    apiRequest<{ lists: IntelList[] }>('/api/intel-lists').then(
      (d) => setLists(d.lists),
      (e: Error) => setError(e.message),
    );
  }, []);
  useEffect(load, [load]);

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      await apiPostJson('/api/intel-lists', { name, text });
      setName('');
      setText('');
      load();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (l: IntelList) => {
    if (!window.confirm(`Delete the intel list ${l.name}?`)) return;
    try {
      await apiRequest(`/api/intel-lists/${l.list_id}`, { method: 'DELETE' });
      load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const readFile = async (f: File | undefined) => {
    if (!f) return;
    setText(await f.text());
    if (!name.trim()) setName(f.name);
  };

  return (
    <div className="page settings">
      <Card
        title="Intel lists"
        subtitle="Every capture analysed from now on is matched against these lists; each match is a high alert naming the list entry."
      >
        {lists === null ? (
          <p className="card-sub">Loading…</p>
        ) : lists.length === 0 ? (
          <p className="card-sub" data-testid="intel-empty">
            No intel lists yet.
          </p>
        ) : (
          <table className="table" data-testid="intel-lists">
            <thead>
              <tr>
                <th>Name</th>
                <th className="right">Entries</th>
                <th>Added</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {lists.map((l) => (
                <tr key={l.list_id}>
                  <td>{l.name}</td>
                  <td className="right">{formatCount(l.entry_count)}</td>
                  <td>{l.created_at.slice(0, 19)}</td>
                  <td className="right">
                    <button type="button" className="btn btn-small" onClick={() => remove(l)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Card
        title="Add a list"
        subtitle="One entry a line, or CSV with the entry first and a description: IPv4/IPv6 addresses, networks (198.51.100.0/24), domains (subdomains match), JA3 or JA4 hashes. # starts a comment."
      >
        <form
          className="intel-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <label className="field">
            <span>Name</span>
            <input
              type="text"
              value={name}
              maxLength={100}
              onChange={(e) => setName(e.target.value)}
              required
            />
          </label>
          <label className="field">
            <span>From a file</span>
            <input
              type="file"
              accept=".txt,.csv,text/plain,text/csv"
              onChange={(e) => readFile(e.target.files?.[0])}
            />
          </label>
          <label className="field intel-text">
            <span>Entries</span>
            <textarea
              rows={8}
              value={text}
              onChange={(e) => setText(e.target.value)}
              placeholder={
                '198.51.100.0/24,scanner network\nevil.example,phishing kit\nt13d1516h2_8daaf6152771_02713d6af862'
              }
              required
            />
          </label>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="btn btn-primary" disabled={busy || !name.trim() || !text.trim()}>
            Save list
          </button>
        </form>
      </Card>
    </div>
  );
}
