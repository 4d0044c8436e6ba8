// What the harness server answers for each resource, as commandcenter's backend would:
// `[{ value, label }]`; statuses depend on the entityType parameter.
export const RESOURCES = {
  tenants: [{ value: 'acme', label: 'Acme Talent' }],
  platforms: [
    { value: 'youtube', label: 'YouTube' },
    { value: 'tiktok', label: 'TikTok' },
    { value: 'instagram', label: 'Instagram' },
  ],
  campaigns: [
    { value: 'c-1', label: 'Spring launch' },
    { value: 'c-2', label: 'Summer haul' },
  ],
  influencers: [{ value: 'i-1', label: 'Ada Creates' }],
  kinds: [
    { value: 'video_published', label: 'Video published' },
    { value: 'payment_overdue', label: 'Payment overdue' },
    { value: 'contract_signed', label: 'Contract signed' },
  ],
  'entity-types': [
    { value: 'campaign', label: 'Campaign' },
    { value: 'influencer', label: 'Influencer' },
    { value: 'payment', label: 'Payment' },
  ],
};

export const STATUSES = {
  campaign: [
    { value: 'draft', label: 'Draft' },
    { value: 'active', label: 'Active' },
    { value: 'done', label: 'Done' },
  ],
  influencer: [{ value: 'pending_signature', label: 'Pending signature' }],
  payment: [
    { value: 'pending', label: 'Pending' },
    { value: 'overdue', label: 'Overdue' },
    { value: 'paid', label: 'Paid' },
  ],
};
