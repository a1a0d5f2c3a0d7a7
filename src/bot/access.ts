/**
 * Who may use the bot where. An answer in a group is read by every member, so in a group the
 * chat itself must be on TELEGRAM_ALLOWED_CHATS / ZALO_ALLOWED_CHATS: an allowed user (or an
 * admin) asking in a group that is not allowed gets the polite refusal, like a stranger. The old
 * "chat OR user" reading is available only as the explicit `usersAllowedInAnyGroup` option
 * (ALLOW_LISTED_USERS_IN_ANY_GROUP=true). With both lists empty the bot is open to everyone.
 */
import type { ChatType } from './types.js';

export interface AccessPolicy {
  /** Empty allowedChats and allowedUsers means everyone may use the bot. */
  allowedChats: readonly string[];
  allowedUsers: readonly string[];
  /** Admins may always use the bot in private and in allowed groups, upload documents and /reload. */
  admins: readonly string[];
  /** Looser, explicit: a listed user (or admin) is answered in any group, and the group reads it. */
  usersAllowedInAnyGroup?: boolean;
}

export function isOpenToEveryone(access: AccessPolicy): boolean {
  return access.allowedChats.length === 0 && access.allowedUsers.length === 0;
}

export function isAccessAllowed(access: AccessPolicy, chatId: string, userId: string, chatType: ChatType): boolean {
  if (isOpenToEveryone(access)) return true;
  const chatAllowed = access.allowedChats.includes(chatId);
  const userAllowed = access.admins.includes(userId) || access.allowedUsers.includes(userId);
  if (chatType === 'group') return chatAllowed || (access.usersAllowedInAnyGroup === true && userAllowed);
  return chatAllowed || userAllowed;
}
