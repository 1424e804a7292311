import { type FormEvent, useEffect, useState } from 'react';
import { addressProblem, type FlowQuery } from './flow-query';

function windowText(from: string, to: string): string {
  if (from && to) return from === to ? `started in window ${from}` : `started in windows ${from}–${to}`;
  if (from) return `started in window ${from} or later`;
  return `started in window ${to} or earlier`;
}

/** The flows table's address, port and protocol filters, and the chip of its start windows. */
export function FlowFilters({
  query,
  setQuery,
}: {
  query: FlowQuery;
  setQuery: (q: Partial<FlowQuery>) => void;
}) {
  const [ip, setIp] = useState(query.ip);
  const [port, setPort] = useState(query.port);
  const [expr, setExpr] = useState(query.expr);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    setIp(query.ip);
    setPort(query.port);
    setExpr(query.expr);
  }, [query.ip, query.port, query.expr]);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    const p = port.trim();
    if (p && !(/^\d+$/.test(p) && Number(p) <= 65535)) {
      setProblem('Port: a number from 0 to 65535.');
      return;
    }
    const a = ip.trim();
    const bad = addressProblem(a);
    if (bad) {
      setProblem(bad);
      return;
    }
    setProblem(null);
    setQuery({ ip: a, port: p, expr: expr.trim(), page: 0 });
  };
  const active = query.ip || query.port || query.protocol || query.wfrom || query.wto || query.expr;
  return (
    <form className="filters" onSubmit={apply} aria-label="Filter flows">
      <label className="inline-field">
        Address
        <input
          type="text"
          value={ip}
          placeholder="one address, e.g. 10.0.0.5"
          onChange={(e) => setIp(e.target.value)}
          className="mono"
          size={22}
        />
      </label>
      <label className="inline-field">
        Port
        <input
          type="text"
          value={port}
          placeholder="any"
          onChange={(e) => setPort(e.target.value)}
          size={7}
        />
      </label>
      <label className="inline-field">
        Protocol
        <select value={query.protocol} onChange={(e) => setQuery({ protocol: e.target.value, page: 0 })}>
          <option value="">all</option>
          <option value="tcp">TCP</option>
          <option value="udp">UDP</option>
          <option value="icmp">ICMP</option>
          <option value="icmpv6">ICMPv6</option>
          <option value="other">other</option>
        </select>
      </label>
      <label className="inline-field flow-expr">
        Expression
        <input
          type="text"
          value={expr}
          placeholder="e.g. ip in 10.0.0.0/8 and bytes > 1M"
          onChange={(e) => setExpr(e.target.value)}
          className="mono"
          spellCheck={false}
          title="The search language (docs/FILTERS.md), for this session's flows"
          maxLength={10_000}
        />
      </label>
      <button type="submit" className="btn btn-small btn-primary">
        Filter
      </button>
      {active && (
        <button
          type="button"
          className="btn btn-small"
          onClick={() => setQuery({ ip: '', port: '', protocol: '', wfrom: '', wto: '', expr: '', page: 0 })}
        >
          Clear
        </button>
      )}
      {(query.wfrom || query.wto) && (
        <span className="chip">
          {windowText(query.wfrom, query.wto)}
          <button
            type="button"
            className="chip-x"
            aria-label="All windows"
            onClick={() => setQuery({ wfrom: '', wto: '', page: 0 })}
          >
            ×
          </button>
        </span>
      )}
      {problem && (
        <span className="form-error" role="alert">
          {problem}
        </span>
      )}
    </form>
  );
}
