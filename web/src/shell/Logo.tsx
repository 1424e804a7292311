/** The mark beside the name in the navigation and on the sign-in form. */
export function Logo() {
  return (
    <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
      <circle cx="11" cy="11" r="7.5" fill="none" stroke="#8fb4ff" strokeWidth="2.2" />
      <path d="M5.5 12.5l2.6-2.6 2.2 2.2 3.1-3.8 2.6 2.4" fill="none" stroke="#fff" strokeWidth="1.8" />
      <path d="M16.5 16.5l5 5" stroke="#8fb4ff" strokeWidth="2.4" strokeLinecap="round" />
    </svg>
  );
}
