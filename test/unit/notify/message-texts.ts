import type { SlackBlock, SlackMessage } from '../../../src/notify/blocks.js'

/** Every mrkdwn/plain text a person can see in the message, with where it came from. */
export function visibleTexts(message: SlackMessage): string[] {
  const texts = [message.text, message.attachments[0].fallback]
  for (const block of message.attachments[0].blocks) texts.push(...blockTexts(block))
  return texts
}

export function blockTexts(block: SlackBlock): string[] {
  switch (block.type) {
    case 'header':
      return [block.text.text]
    case 'section':
      return 'text' in block ? [block.text.text] : block.fields.map((field) => field.text)
    case 'context':
      return block.elements.map((element) => element.text)
    case 'divider':
      return []
  }
}

export function sectionTexts(message: SlackMessage): string[] {
  return message.attachments[0].blocks.flatMap((block) =>
    block.type === 'section' && 'text' in block ? [block.text.text] : [],
  )
}
