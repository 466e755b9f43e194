import { useState } from 'preact/hooks';

/** A secret or token shown once, with a copy button; it is not kept anywhere once dismissed. */
export function SecretBox({ label, value, onClose }: { label: string; value: string; onClose: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="secret" role="status">
      <p>
        <strong>{label}</strong> — shown once; copy it now.
      </p>
      <code data-testid="secret-value">{value}</code>
      <div class="row">
        <button
          type="button"
          onClick={() => {
            void navigator.clipboard?.writeText(value).then(() => setCopied(true));
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={onClose}>
          Done
        </button>
      </div>
    </div>
  );
}
