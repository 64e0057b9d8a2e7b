import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';

export interface PendingAction {
  /** "Emergency stop", "Set percentage to 30 %". */
  title: string;
  /** What will happen, in the operator's words. */
  consequence: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  /** Carries the action out with the reason given; its answer closes the dialog. */
  run: (reason: string) => Promise<void>;
}

/**
 * The one way an operator changes something: a modal dialog that says what will happen, asks why
 * (every change is audited with its reason) and needs an explicit confirmation. Escape or Cancel
 * changes nothing. A refusal from the gateway stays in the dialog, with its reason.
 */
export function ConfirmDialog({
  action,
  onClose,
}: {
  action: PendingAction | undefined;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const titleId = useId();
  const reasonId = useId();

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (action && !element.open) {
      setReason('');
      setError(undefined);
      setBusy(false);
      element.showModal();
    }
    if (!action && element.open) element.close();
  }, [action]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!action || busy || reason.trim().length === 0) return;
    setBusy(true);
    setError(undefined);
    try {
      await action.run(reason.trim());
      onClose();
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : 'the action failed');
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} class="confirm" aria-labelledby={titleId} onClose={onClose}>
      {action && (
        <form onSubmit={submit}>
          <h2 id={titleId}>{action.title}</h2>
          <div class="consequence">{action.consequence}</div>
          <label for={reasonId}>Reason (recorded in the audit log)</label>
          <textarea
            id={reasonId}
            required
            maxLength={500}
            rows={3}
            value={reason}
            onInput={(event) => setReason((event.target as HTMLTextAreaElement).value)}
          />
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
          <div class="dialog-buttons">
            <button type="button" class="secondary" onClick={onClose} disabled={busy}>
              Cancel
            </button>
            <button
              type="submit"
              class={action.danger ? 'danger' : 'primary'}
              disabled={busy || reason.trim().length === 0}
            >
              {busy ? 'Working…' : action.confirmLabel}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
