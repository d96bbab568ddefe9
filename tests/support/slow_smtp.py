"""An aiosmtpd handler that keeps each message in a Maildir like `aiosmtpd.handlers.Mailbox`,
but answers the end of DATA only after SMTP_DELAY_SECS: a slow but healthy SMTP server."""

import asyncio
import os

from aiosmtpd.handlers import Mailbox


class SlowMailbox(Mailbox):
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(float(os.environ.get("SMTP_DELAY_SECS", "0")))
        return await super().handle_DATA(server, session, envelope)
