// Lists a page loads: their loading, failed and empty states, their table,
// and the delete at the end of a row, asked for first.
import type { ComponentProps, ReactNode } from 'react';
import { confirmAction } from './dialog';
import { DeleteButton, ErrorBox, Loading, LoadFailed } from './layout';
import type { Loaded } from './load';

// Loadable shows what load is at: loading, failed (what names the data in
// the message), empty (an empty list) or, through children, the data. A
// failed reload is said above the data already shown.
export function Loadable<T>({
  load,
  what,
  empty,
  children,
}: {
  load: Loaded<T>;
  what: string;
  empty: ReactNode;
  children: (data: T) => ReactNode;
}) {
  const { data } = load;
  return (
    <>
      <ErrorBox error={data !== undefined ? load.error : ''} />
      {data === undefined ? (
        load.loading || !load.error ? <Loading /> : <LoadFailed what={what} error={load.error} onRetry={load.reload} />
      ) : Array.isArray(data) && data.length === 0 ? (
        empty
      ) : (
        children(data)
      )}
    </>
  );
}

// ListTable is the table of a list whose rows end with their actions: head
// holds the header cells before the actions column.
export function ListTable({ testid, head, children }: { testid: string; head: ReactNode; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testid}>
        <thead>
          <tr>
            {head}
            <th className="actions-col" />
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

// ConfirmDeleteButton is a row's DeleteButton that asks first, as confirm
// says (confirmAction), and calls onDone once the delete succeeded.
export function ConfirmDeleteButton({
  confirm,
  onDone,
  ...button
}: {
  confirm: Parameters<typeof confirmAction>[0];
  onDone: () => void;
} & Omit<ComponentProps<typeof DeleteButton>, 'onClick'>) {
  return (
    <DeleteButton
      {...button}
      onClick={async () => {
        if (await confirmAction(confirm)) onDone();
      }}
    />
  );
}
