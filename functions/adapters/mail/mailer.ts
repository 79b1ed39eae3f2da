import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { createTransport, type Transporter } from 'nodemailer';
import { config } from '#config';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

let ses: SESv2Client | undefined;
let smtp: Transporter | undefined;

/**
 * Sends one email: through Amazon SES (v2 `SendEmail`) in AWS, or over SMTP when `SMTP_URL` is set (the local
 * stack's capturing SMTP server).
 */
export async function sendMail(message: OutgoingMail): Promise<void> {
  const { SMTP_URL, AWS_REGION } = config();
  if (SMTP_URL) {
    smtp ??= createTransport(SMTP_URL);
    await smtp.sendMail(message);
    return;
  }
  ses ??= new SESv2Client({ region: AWS_REGION });
  await ses.send(
    new SendEmailCommand({
      FromEmailAddress: message.from,
      Destination: { ToAddresses: [message.to] },
      Content: {
        Simple: {
          Subject: { Data: message.subject, Charset: 'UTF-8' },
          Body: { Text: { Data: message.text, Charset: 'UTF-8' }, Html: { Data: message.html, Charset: 'UTF-8' } },
        },
      },
    }),
  );
}
