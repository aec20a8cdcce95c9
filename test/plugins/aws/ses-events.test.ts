import { describe, expect, it } from 'vitest';
import { parseSesEvent } from '../../../plugins/ses/index.js';

const mail = { messageId: '0100abc-000000', timestamp: '2026-11-29T01:00:00.000Z', tags: { 'switchboard-attempt': ['01JATT'] } };
const one = (event: Record<string, unknown>) => {
  const result = parseSesEvent(JSON.stringify({ mail, ...event }));
  if (!result.ok) throw new Error(result.reason);
  return result.events;
};

describe('SES events → receipts', () => {
  it('maps Send → sent, Delivery → delivered, Open and Click → read', () => {
    expect(one({ eventType: 'Send', send: {} })).toEqual([{ type: 'status', providerMessageId: '0100abc-000000', status: 'sent', at: '2026-11-29T01:00:00.000Z', details: { sesEvent: 'Send' } }]);
    expect(one({ eventType: 'Delivery', delivery: { timestamp: '2026-11-29T01:00:05.000Z' } })[0]).toMatchObject({ status: 'delivered', at: '2026-11-29T01:00:05.000Z' });
    expect(one({ eventType: 'Open', open: { timestamp: '2026-11-29T02:00:00.000Z' } })[0]).toMatchObject({ status: 'read', at: '2026-11-29T02:00:00.000Z' });
    expect(one({ eventType: 'Click', click: { timestamp: '2026-11-29T02:01:00.000Z', link: 'https://shop.example/o/1' } })[0]).toMatchObject({ status: 'read', details: { sesEvent: 'Click', clickedLink: 'https://shop.example/o/1' } });
  });

  it('a permanent bounce fails the attempt and signals an opt-out (suppression); a transient one is only recorded', () => {
    const permanent = one({ eventType: 'Bounce', bounce: { bounceType: 'Permanent', bounceSubType: 'General', timestamp: '2026-11-29T01:00:03.000Z', bouncedRecipients: [{ emailAddress: 'ann@example.com', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }] } })[0];
    expect(permanent).toMatchObject({ status: 'failed', errorCode: 'Bounce:Permanent:General', signal: 'opted_out', details: { bounceType: 'Permanent', smtpStatus: '5.1.1' } });
    expect(permanent.type === 'status' && permanent.errorReason).toContain('550 5.1.1 user unknown');
    const transient = one({ eventType: 'Bounce', bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull' } })[0];
    expect(transient).toMatchObject({ status: 'sent', errorCode: 'Bounce:Transient:MailboxFull' });
    expect(transient).not.toHaveProperty('signal');
  });

  it('a complaint is delivered-and-suppressed; Reject and Rendering Failure fail with the reason', () => {
    expect(one({ eventType: 'Complaint', complaint: { complaintFeedbackType: 'abuse' } })[0]).toMatchObject({ status: 'delivered', errorCode: 'Complaint', signal: 'opted_out', errorReason: expect.stringContaining('abuse') });
    expect(one({ eventType: 'Reject', reject: { reason: 'Bad content' } })[0]).toMatchObject({ status: 'failed', errorCode: 'Reject', errorReason: expect.stringContaining('Bad content') });
    expect(one({ eventType: 'Rendering Failure', failure: { templateName: 'welcome', errorMessage: "Attribute 'plan' is not present in the rendering data." } })[0]).toMatchObject({ status: 'failed', errorCode: 'RenderingFailure', errorReason: expect.stringContaining("'plan'"), details: { templateName: 'welcome' } });
  });

  it('a delivery delay is recorded on a sent receipt; identity notifications (notificationType) map too', () => {
    expect(one({ eventType: 'DeliveryDelay', deliveryDelay: { delayType: 'MailboxFull', expirationTime: '2026-11-30T01:00:00.000Z' } })[0]).toMatchObject({ status: 'sent', errorCode: 'DeliveryDelay:MailboxFull' });
    expect(one({ notificationType: 'Delivery', delivery: {} })[0]).toMatchObject({ status: 'delivered' });
  });

  it('ignores Subscription and event types it does not know (no receipt, no 4xx)', () => {
    expect(one({ eventType: 'Subscription', subscription: {} })).toEqual([]);
    expect(one({ eventType: 'SomethingNew' })).toEqual([]);
  });
});
