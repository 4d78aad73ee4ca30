import { useRef, useState } from 'react';
import { api, errorMessage, type ChannelWithStatus, type TestResult } from '../api';
import { SignInModal, signOut } from './Accounts';
import { Card, Empty, ErrorBox, Icon, Loading, LoadFailed, PageHeader, Spinner, confirmAction, downloadJSON, toast, useLoad } from '../ui';
import { ChannelForm } from './channels/ChannelForm';
import { ChannelRow } from './channels/ChannelRow';


export function ChannelsPage() {
  const list = useLoad(() => api.channels(), [], 5000);
  const [editing, setEditing] = useState<ChannelWithStatus | 'new' | null>(null);
  const [tests, setTests] = useState<Record<string, TestResult | 'running'>>({});
  const [testingAll, setTestingAll] = useState(false);
  const [signingIn, setSigningIn] = useState<ChannelWithStatus | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const channels = list.data ?? [];

  const testOne = async (id: string) => {
    setTests((t) => ({ ...t, [id]: 'running' }));
    try {
      const r = await api.testChannel(id);
      setTests((t) => ({ ...t, [id]: r }));
    } catch (e) {
      setTests((t) => ({ ...t, [id]: { channelId: id, ok: false, error: errorMessage(e) } }));
    }
    list.reload();
  };

  const testAll = async () => {
    setTestingAll(true);
    setTests(Object.fromEntries(channels.map((c) => [c.id, 'running' as const])));
    try {
      const results = await api.testAllChannels();
      const map: Record<string, TestResult> = {};
      for (const r of results) map[r.channelId] = r;
      setTests(map);
      const ok = results.filter((r) => r.ok).length;
      toast(`${ok} of ${results.length} channels answered`, ok === results.length ? 'ok' : 'error');
    } catch (e) {
      setTests({});
      toast(errorMessage(e), 'error');
    } finally {
      setTestingAll(false);
      list.reload();
    }
  };

  const reset = async (c: ChannelWithStatus) => {
    try {
      await api.resetChannel(c.id);
      toast(`Breaker of ${c.name || c.id} reset`);
      list.reload();
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  };

  const remove = async (c: ChannelWithStatus) => {
    const deleted = await confirmAction({
      title: 'Delete channel',
      message: (
        <>
          Delete <b>{c.name || c.id}</b> (<code>{c.id}</code>)? Rules that target it stop matching. This cannot be undone.
        </>
      ),
      confirmLabel: 'Delete',
      run: () => api.deleteChannel(c.id),
      done: `Deleted ${c.name || c.id}`,
    });
    if (deleted) list.reload();
  };

  const doSignOut = async (c: ChannelWithStatus) => {
    if (await signOut(c)) list.reload();
  };

  const exportAll = async () => {
    try {
      const data = await api.exportChannels();
      downloadJSON('routex-channels.json', data);
    } catch (e) {
      toast(errorMessage(e), 'error');
    }
  };

  const importFile = async (file: File) => {
    try {
      const parsed = JSON.parse(await file.text());
      const body = Array.isArray(parsed) ? { channels: parsed } : parsed;
      if (!body || !Array.isArray(body.channels)) throw new Error('The file must hold {"channels": [...]}, as exported.');
      const res = await api.importChannels(body);
      toast(`Imported ${res?.imported ?? body.channels.length} channels`);
      list.reload();
    } catch (e) {
      toast(e instanceof SyntaxError ? 'That file is not valid JSON.' : errorMessage(e), 'error');
    } finally {
      if (fileInput.current) fileInput.current.value = '';
    }
  };

  return (
    <div className="page">
      <PageHeader title="Channels" subtitle="Upstream providers routex sends requests to.">
        <input
          ref={fileInput}
          type="file"
          accept="application/json,.json"
          hidden
          data-testid="channels-import-file"
          onChange={(e) => e.target.files?.[0] && importFile(e.target.files[0])}
        />
        <button className="btn" onClick={() => fileInput.current?.click()} data-testid="channels-import">
          <Icon name="upload" /> Import
        </button>
        <button className="btn" onClick={exportAll} data-testid="channels-export" disabled={channels.length === 0}>
          <Icon name="download" /> Export
        </button>
        <button className="btn" onClick={testAll} disabled={testingAll || channels.length === 0} data-testid="channels-test-all">
          {testingAll ? <Spinner small /> : <Icon name="zap" />} Test all
        </button>
        <button className="btn btn-primary" onClick={() => setEditing('new')} data-testid="channel-add">
          <Icon name="plus" /> Add channel
        </button>
      </PageHeader>

      <Card>
        <ErrorBox error={list.data ? list.error : ''} />
        {list.loading && !list.data ? (
          <Loading />
        ) : list.error && !list.data ? (
          <LoadFailed what="the channels" error={list.error} onRetry={list.reload} />
        ) : channels.length === 0 ? (
          <Empty title="No channels yet">
            <button className="btn btn-primary" onClick={() => setEditing('new')}>
              <Icon name="plus" /> Add your first channel
            </button>
          </Empty>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="channels-table">
              <thead>
                <tr>
                  <th>Channel</th>
                  <th>Type · auth</th>
                  <th>Models</th>
                  <th>Routing</th>
                  <th>Status</th>
                  <th className="actions-col" />
                </tr>
              </thead>
              <tbody>
                {channels.map((c) => (
                  <ChannelRow
                    key={c.id}
                    c={c}
                    test={tests[c.id]}
                    onTest={() => testOne(c.id)}
                    onReset={() => reset(c)}
                    onEdit={() => setEditing(c)}
                    onDelete={() => remove(c)}
                    onSignIn={() => setSigningIn(c)}
                    onSignOut={() => doSignOut(c)}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {editing && (
        <ChannelForm
          channel={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(c, created, signIn) => {
            setEditing(null);
            toast(created ? `Added ${c.name || c.id}` : `Saved ${c.name || c.id}`);
            // The saved channel at once, so that reopening it shows what was
            // saved before the reload answers.
            if (list.data) {
              list.setData(created ? [...list.data, c] : list.data.map((x) => (x.id === c.id ? { ...x, ...c } : x)));
            }
            list.reload();
            if (signIn) setSigningIn(c);
          }}
        />
      )}
      {signingIn && (
        <SignInModal
          channel={signingIn}
          onClose={() => {
            setSigningIn(null);
            list.reload();
          }}
          onDone={() => {
            setSigningIn(null);
            list.reload();
          }}
        />
      )}
    </div>
  );
}
