import { PageHeader } from '../ui';
import { StrategyCard } from './settings/StrategyCard';
import { TokensCard } from './settings/TokensCard';
import { PasswordCard } from './settings/PasswordCard';
import { ServerCard } from './settings/ServerCard';
import { RecordsCard } from './settings/RecordsCard';
import { SessionsCard } from './settings/SessionsCard';

export function SettingsPage({ onLogout }: { onLogout: () => void }) {
  return (
    <div className="page">
      <PageHeader title="Settings" />
      <div className="two-col">
        <div className="stack">
          <StrategyCard />
          <PasswordCard />
          <TokensCard />
        </div>
        <div className="stack">
          <ServerCard onLogout={onLogout} />
          <RecordsCard />
          <SessionsCard />
        </div>
      </div>
    </div>
  );
}
