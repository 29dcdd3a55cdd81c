/**
 * The Agents SDK's test adapter, as the SDK's own tests build it: a `BaseAdapter` whose outgoing
 * activities are recorded instead of sent, so turns run through the SDK's real `TurnContext`,
 * `AgentApplication` and `TurnState` without reaching the Bot Connector service.
 */
import { Activity } from '@microsoft/agents-activity';
import { BaseAdapter, TurnContext, type AttachmentInfo, type ResourceResponse } from '@microsoft/agents-hosting';

export class TestAdapter extends BaseAdapter {
  /** The text of every message the agent sent, in order. */
  readonly sent: string[] = [];

  async sendActivities(_context: TurnContext, activities: Activity[]): Promise<ResourceResponse[]> {
    for (const activity of activities) if (activity.text !== undefined) this.sent.push(activity.text);
    return activities.map((activity, index) => ({ id: activity.id ?? `sent-${this.sent.length}-${index}` }));
  }

  updateActivity(): Promise<ResourceResponse | void> {
    throw new Error('not used by these tests');
  }

  deleteActivity(): Promise<void> {
    throw new Error('not used by these tests');
  }

  continueConversation(): Promise<void> {
    throw new Error('not used by these tests');
  }

  uploadAttachment(): Promise<ResourceResponse> {
    throw new Error('not used by these tests');
  }

  getAttachmentInfo(): Promise<AttachmentInfo> {
    throw new Error('not used by these tests');
  }

  getAttachment(): Promise<NodeJS.ReadableStream> {
    throw new Error('not used by these tests');
  }

  /** A turn context for a message from `userId` in `conversationId`, as a channel would deliver it. */
  context(conversationId: string, text: string, userId = 'user-1'): TurnContext {
    const activity = Activity.fromObject({
      type: 'message',
      id: `activity-${Math.random().toString(36).slice(2)}`,
      text,
      channelId: 'test',
      serviceUrl: 'https://test.invalid/',
      from: { id: userId, name: 'User' },
      recipient: { id: 'agent', name: 'Agent' },
      conversation: { id: conversationId },
    });
    return new TurnContext(this, activity);
  }
}
