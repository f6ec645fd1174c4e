"""normalise email addresses: one account per mailbox

user_account.email now holds booking.mailbox.normalize_email's form (email-validator's normalisation,
then case-folded), so its unique constraint allows one account per mailbox however the address is
spelled (case, full-width characters, IDNA). This backfills the rows stored lower-cased only.

If two accounts already share a mailbox, nothing is changed and the upgrade stops naming them: merging
or renaming accounts is a person's decision, not a migration's.

"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa

from email_validator import EmailNotValidError, validate_email


def normalize_email(address):
    """booking.mailbox.normalize_email as of this revision, kept here: a migration must not change when the
    application's code does."""
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized.casefold()
    except EmailNotValidError:
        return address.strip().casefold()


# revision identifiers, used by Alembic.
revision = 'a7c3e9d2b415'
down_revision = '319554ff634c'

users = sa.table('user_account', sa.column('id', sa.Integer), sa.column('email', sa.String))


def upgrade():
    conn = op.get_bind()
    rows = conn.execute(sa.select(users.c.id, users.c.email).order_by(users.c.id)).all()
    by_mailbox = defaultdict(list)
    for user_id, email in rows:
        by_mailbox[normalize_email(email)].append((user_id, email))
    shared = {mailbox: owners for mailbox, owners in by_mailbox.items() if len(owners) > 1}
    if shared:
        lines = [
            f"  {mailbox}: " + ", ".join(f"#{user_id} {email!r}" for user_id, email in owners)
            for mailbox, owners in sorted(shared.items())
        ]
        raise RuntimeError(
            "These accounts share a mailbox; merge, rename or deactivate all but one of each, then upgrade "
            "again (nothing was changed):\n" + "\n".join(lines)
        )
    changes = [
        {'user_id': user_id, 'normalised': normalize_email(email)}
        for user_id, email in rows
        if normalize_email(email) != email
    ]
    if changes:
        conn.execute(
            users.update().where(users.c.id == sa.bindparam('user_id')).values(email=sa.bindparam('normalised')),
            changes,
        )


def downgrade():
    # The normalised form is a valid address and the older code's lower-casing keeps it: nothing to undo.
    pass
