// The chart of accounts (会计科目) as a tree, with new sub-accounts and edits; which account each
// automatic posting uses (自动记账科目); finance settings (default VAT rate, reminder days); SKU tax rates.
import { useCallback, useEffect, useMemo, useState, type Key } from 'react';
import { Alert, App, Button, Card, Form, Input, InputNumber, Modal, Select, Space, Switch, Table, Tabs, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api, unwrap } from '../../api/client';
import type { FinAccount, FinanceSettings, PostingRole, TaxRate } from '../../api/types';
import { errorText } from '../../components/useCursorList';
import { useI18n } from '../../i18n';
import { SkuSelect } from '../inventory/DocumentForm';
import { AccountSelect, accountName, bpToPercent, kindName, percentToBp, useAccounts } from './financeCommon';

const KINDS = ['asset', 'liability', 'equity', 'cost', 'revenue', 'expense'] as const;

interface Node extends FinAccount {
  children?: Node[];
}

function tree(accounts: FinAccount[]): Node[] {
  const nodes = new Map<string, Node>(accounts.map((a) => [a.code, { ...a }]));
  const roots: Node[] = [];
  for (const a of accounts) {
    const node = nodes.get(a.code) as Node;
    const parent = a.parent_code ? nodes.get(a.parent_code) : undefined;
    if (parent) (parent.children ??= []).push(node);
    else roots.push(node);
  }
  return roots;
}

function AccountForm({ open, editing, parent, accounts, onClose, onSaved }: { open: boolean; editing: FinAccount | null; parent: string | null; accounts: FinAccount[]; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const parentCode: string | undefined = Form.useWatch('parent_code', form);
  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setError(null);
    if (editing) form.setFieldsValue({ code: editing.code, name: editing.name, name_en: editing.name_en, active: editing.active });
    else form.setFieldsValue({ parent_code: parent ?? undefined, code: parent ?? '' });
  }, [open, editing, parent, form]);
  const submit = async () => {
    setError(null);
    const v = await form.validateFields();
    setSaving(true);
    try {
      if (editing) {
        await unwrap(api.PATCH('/api/v1/finance/accounts/{code}', { params: { path: { code: editing.code } }, body: { name: v.name, name_en: v.name_en ?? '', active: v.active } }));
      } else {
        await unwrap(
          api.POST('/api/v1/finance/accounts', {
            body: { code: v.code.trim(), name: v.name, name_en: v.name_en ?? '', parent_code: v.parent_code || null, kind: v.parent_code ? null : v.kind },
          }),
        );
      }
      onSaved();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal open={open} title={editing ? `${t('common.edit')} ${editing.code}` : t('acct.new')} onCancel={onClose} onOk={submit} confirmLoading={saving} okButtonProps={{ 'data-testid': 'acct-save' }}>
      <Form form={form} layout="vertical" data-testid="acct-form">
        {!editing && (
          <Form.Item name="parent_code" label={t('acct.parent')}>
            <AccountSelect accounts={accounts} allowClear placeholder={t('acct.topLevel')} onChange={(v) => form.setFieldValue('parent_code', v)} testId="acct-parent" />
          </Form.Item>
        )}
        <Form.Item name="code" label={t('fin.code')} rules={[{ required: true, pattern: /^[0-9]{4,16}$/, message: t('acct.codeRule') }]} extra={!editing && parentCode ? t('acct.subCodeHint', { parent: parentCode }) : undefined}>
          <Input disabled={!!editing} data-testid="acct-code" />
        </Form.Item>
        <Form.Item name="name" label={t('fin.name')} rules={[{ required: true, max: 100 }]}>
          <Input data-testid="acct-name" />
        </Form.Item>
        <Form.Item name="name_en" label={t('acct.nameEn')} rules={[{ max: 100 }]}>
          <Input data-testid="acct-name-en" />
        </Form.Item>
        {!editing && !parentCode && (
          <Form.Item name="kind" label={t('acct.kind')} rules={[{ required: true }]}>
            <Select options={KINDS.map((k) => ({ value: k, label: kindName(t, k) }))} data-testid="acct-kind" />
          </Form.Item>
        )}
        {editing && (
          <Form.Item name="active" label={t('common.active')} valuePropName="checked">
            <Switch data-testid="acct-active" />
          </Form.Item>
        )}
      </Form>
      {error && <Alert type="error" showIcon message={error} data-testid="acct-error" />}
    </Modal>
  );
}

function PostingTab({ accounts, roles, onChanged }: { accounts: FinAccount[]; roles: PostingRole[]; onChanged: () => void }) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const [draft, setDraft] = useState<Record<string, string>>({});
  const save = async (role: string) => {
    try {
      await unwrap(api.PUT('/api/v1/finance/posting-accounts/{role}', { params: { path: { role } }, body: { account: draft[role] } }));
      message.success(t('common.saved'));
      setDraft(({ [role]: _done, ...rest }) => rest);
      onChanged();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  return (
    <>
      <Typography.Paragraph type="secondary">{t('acct.postingHint')}</Typography.Paragraph>
      <Table
        size="small"
        rowKey="role"
        dataSource={roles}
        pagination={false}
        data-testid="posting-table"
        columns={[
          { title: t('acct.role'), key: 'name', render: (_: unknown, r: PostingRole) => (lang === 'en-US' ? r.name_en : r.name) },
          { title: t('acct.roleCode'), dataIndex: 'role', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
          {
            title: t('acct.account'),
            key: 'account',
            render: (_: unknown, r: PostingRole) => (
              <AccountSelect accounts={accounts} postable width={320} value={draft[r.role] ?? r.account} onChange={(v) => v && setDraft((d) => ({ ...d, [r.role]: v }))} testId={`posting-account-${r.role}`} />
            ),
          },
          {
            title: '',
            key: 'save',
            render: (_: unknown, r: PostingRole) => (
              <Button size="small" type="primary" disabled={!draft[r.role] || draft[r.role] === r.account} onClick={() => save(r.role)} data-testid={`posting-save-${r.role}`}>
                {t('common.save')}
              </Button>
            ),
          },
        ]}
      />
    </>
  );
}

function SettingsTab() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [settings, setSettings] = useState<FinanceSettings | null>(null);
  const apply = useCallback(
    (s: FinanceSettings) => {
      setSettings(s);
      form.setFieldsValue({ rate: bpToPercent(s.default_tax_rate_bp).replace('%', ''), reminder_days: s.reminder_days, unsettled_days: s.unsettled_days });
    },
    [form],
  );
  useEffect(() => {
    unwrap(api.GET('/api/v1/finance/settings')).then(apply).catch((e) => message.error(errorText(e)));
  }, [apply, message]);
  const save = async () => {
    const v = await form.validateFields();
    try {
      apply(await unwrap(api.PUT('/api/v1/finance/settings', { body: { default_tax_rate_bp: percentToBp(String(v.rate)), reminder_days: v.reminder_days, unsettled_days: v.unsettled_days } })));
      message.success(t('common.saved'));
    } catch (e) {
      message.error(errorText(e));
    }
  };
  return (
    <Form form={form} layout="horizontal" labelCol={{ span: 6 }} wrapperCol={{ span: 10 }} style={{ maxWidth: 720 }} data-testid="fin-settings">
      <Form.Item label={t('fin.defaultRate')} name="rate" rules={[{ required: true, validator: (_, v) => (percentToBp(String(v ?? '')) === null ? Promise.reject(new Error(t('fin.rateRule'))) : Promise.resolve()) }]} extra={settings ? t('fin.rateNow', { rate: bpToPercent(settings.default_tax_rate_bp) }) : undefined}>
        <Input suffix="%" style={{ width: 140 }} data-testid="fin-default-rate" />
      </Form.Item>
      <Form.Item label={t('fin.reminderDays')} name="reminder_days" rules={[{ required: true }]}>
        <InputNumber min={0} max={365} precision={0} addonAfter={t('fin.days')} data-testid="fin-reminder-days" />
      </Form.Item>
      <Form.Item label={t('fin.unsettledDays')} name="unsettled_days" rules={[{ required: true }]}>
        <InputNumber min={0} max={365} precision={0} addonAfter={t('fin.days')} data-testid="fin-unsettled-days" />
      </Form.Item>
      <Form.Item label={t('fin.closedThrough')}>
        <Typography.Text>{settings?.closed_through ?? t('period.noneClosed')}</Typography.Text>
      </Form.Item>
      <Form.Item wrapperCol={{ offset: 6 }}>
        <Button type="primary" onClick={save} data-testid="fin-settings-save">
          {t('common.save')}
        </Button>
      </Form.Item>
    </Form>
  );
}

function TaxRatesTab() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [rates, setRates] = useState<TaxRate[]>([]);
  const [sku, setSku] = useState<string | undefined>();
  const [rate, setRate] = useState('');
  useEffect(() => {
    unwrap(api.GET('/api/v1/finance/tax-rates')).then(setRates).catch((e) => message.error(errorText(e)));
  }, [message]);
  const put = async (code: string, rate_bp: number | null) => {
    try {
      setRates(await unwrap(api.PUT('/api/v1/finance/tax-rates/{sku}', { params: { path: { sku: code } }, body: { rate_bp } })));
      message.success(t('common.saved'));
      return true;
    } catch (e) {
      message.error(errorText(e));
      return false;
    }
  };
  const set = async () => {
    const bp = percentToBp(rate);
    if (!sku || bp === null) {
      message.error(t('fin.rateRule'));
      return;
    }
    if (await put(sku, bp)) {
      setSku(undefined);
      setRate('');
    }
  };
  return (
    <>
      <Space wrap style={{ marginBottom: 12 }}>
        <div style={{ width: 300 }}>
          <SkuSelect value={sku} onChange={setSku} testId="tax-sku" />
        </div>
        <Input placeholder={t('fin.ratePlaceholder')} suffix="%" value={rate} onChange={(e) => setRate(e.target.value)} style={{ width: 140 }} data-testid="tax-rate" />
        <Button type="primary" onClick={set} data-testid="tax-set">
          {t('fin.setRate')}
        </Button>
      </Space>
      <Typography.Paragraph type="secondary">{t('fin.taxHint')}</Typography.Paragraph>
      <Table
        size="small"
        rowKey="sku"
        dataSource={rates}
        pagination={false}
        data-testid="tax-table"
        columns={[
          { title: 'SKU', dataIndex: 'sku' },
          { title: t('doc.skuName'), dataIndex: 'name' },
          { title: t('fin.rate'), dataIndex: 'rate_bp', align: 'right', render: bpToPercent },
          {
            title: '',
            key: 'clear',
            render: (_: unknown, r: TaxRate) => (
              <Button size="small" onClick={() => put(r.sku, null)} data-testid={`tax-clear-${r.sku}`}>
                {t('fin.clearRate')}
              </Button>
            ),
          },
        ]}
      />
    </>
  );
}

export default function AccountsPage() {
  const { t, lang } = useI18n();
  const [accounts, reloadAccounts] = useAccounts();
  const [roles, setRoles] = useState<PostingRole[]>([]);
  const [expanded, setExpanded] = useState<readonly Key[] | null>(null);
  const [form, setForm] = useState<{ editing: FinAccount | null; parent: string | null } | null>(null);
  const loadRoles = useCallback(() => {
    unwrap(api.GET('/api/v1/finance/posting-accounts')).then(setRoles).catch(() => setRoles([]));
  }, []);
  useEffect(loadRoles, [loadRoles]);
  const data = useMemo(() => tree(accounts), [accounts]);
  const parents = useMemo(() => accounts.filter((a) => !a.leaf).map((a) => a.code), [accounts]);
  const roleName = useMemo(() => new Map(roles.map((r) => [r.role, lang === 'en-US' ? r.name_en : r.name])), [roles, lang]);
  return (
    <Card title={<Typography.Text strong>{t('menu.accounts')}</Typography.Text>}>
      <Tabs
        items={[
          {
            key: 'accounts',
            label: <span data-testid="acct-tab-accounts">{t('acct.tabAccounts')}</span>,
            children: (
              <>
                <Space style={{ marginBottom: 12 }}>
                  <Button type="primary" icon={<PlusOutlined />} onClick={() => setForm({ editing: null, parent: null })} data-testid="acct-new">
                    {t('acct.new')}
                  </Button>
                </Space>
                <Table<Node>
                  size="small"
                  rowKey="code"
                  dataSource={data}
                  pagination={false}
                  data-testid="acct-table"
                  expandable={{ expandedRowKeys: expanded ?? parents, onExpandedRowsChange: (keys) => setExpanded(keys) }}
                  columns={[
                    { title: t('fin.code'), dataIndex: 'code', width: 180 },
                    { title: t('fin.name'), key: 'name', render: (_: unknown, a) => (a.active ? accountName(a, lang) : <Typography.Text type="secondary">{accountName(a, lang)}</Typography.Text>) },
                    { title: t('acct.kind'), dataIndex: 'kind', width: 100, render: (k: string) => kindName(t, k) },
                    {
                      title: t('common.status'),
                      key: 'active',
                      width: 120,
                      render: (_: unknown, a) => (
                        <Space size={4}>
                          {a.active ? <Tag color="green">{t('common.active')}</Tag> : <Tag>{t('common.inactive')}</Tag>}
                          {a.system && <Tag>{t('acct.system')}</Tag>}
                        </Space>
                      ),
                    },
                    { title: t('acct.roles'), key: 'roles', render: (_: unknown, a) => a.roles.map((r) => <Tag key={r} color="blue">{roleName.get(r) ?? r}</Tag>) },
                    {
                      title: t('common.actions'),
                      key: 'actions',
                      width: 170,
                      render: (_: unknown, a) => (
                        <Space size={4}>
                          <Button size="small" type="link" onClick={() => setForm({ editing: a, parent: null })} data-testid={`acct-edit-${a.code}`}>
                            {t('common.edit')}
                          </Button>
                          <Button size="small" type="link" onClick={() => setForm({ editing: null, parent: a.code })} data-testid={`acct-add-sub-${a.code}`}>
                            {t('acct.addSub')}
                          </Button>
                        </Space>
                      ),
                    },
                  ]}
                />
              </>
            ),
          },
          {
            key: 'posting',
            label: <span data-testid="acct-tab-posting">{t('acct.tabPosting')}</span>,
            children: (
              <PostingTab
                accounts={accounts}
                roles={roles}
                onChanged={() => {
                  loadRoles();
                  reloadAccounts();
                }}
              />
            ),
          },
          { key: 'settings', label: <span data-testid="acct-tab-settings">{t('acct.tabSettings')}</span>, children: <SettingsTab /> },
          { key: 'tax', label: <span data-testid="acct-tab-tax">{t('acct.tabTax')}</span>, children: <TaxRatesTab /> },
        ]}
      />
      <AccountForm
        open={form !== null}
        editing={form?.editing ?? null}
        parent={form?.parent ?? null}
        accounts={accounts}
        onClose={() => setForm(null)}
        onSaved={() => {
          setForm(null);
          reloadAccounts();
        }}
      />
    </Card>
  );
}
