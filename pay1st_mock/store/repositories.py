"""The store as one thing: the database and a repository per aggregate, opened together."""

from __future__ import annotations

from pay1st_mock.config import Settings
from pay1st_mock.frozen import frozen
from pay1st_mock.store.chargebacks import ChargebackRepository
from pay1st_mock.store.database import Database
from pay1st_mock.store.deliveries import DeliveryRepository
from pay1st_mock.store.journal import JournalRepository
from pay1st_mock.store.milestones import MilestoneRepository
from pay1st_mock.store.partners import PartnerRepository
from pay1st_mock.store.payments import PaymentRepository
from pay1st_mock.store.purchases import PurchaseRepository
from pay1st_mock.store.refunds import RefundRepository
from pay1st_mock.store.tokens import TokenRepository


@frozen
class Repositories:
    """Every repository over one database (``settings.data``: a directory or ``:memory:``)."""

    db: Database
    partners: PartnerRepository
    payments: PaymentRepository
    tokens: TokenRepository
    deliveries: DeliveryRepository
    purchases: PurchaseRepository
    journal: JournalRepository
    milestones: MilestoneRepository
    refunds: RefundRepository
    chargebacks: ChargebackRepository

    @classmethod
    def open(cls, settings: Settings) -> Repositories:
        """Open (or create) the database and the repositories, with the retention bounds."""
        db = Database(settings.data)
        return cls(db=db, partners=PartnerRepository(db), payments=PaymentRepository(db),
                   tokens=TokenRepository(db),
                   deliveries=DeliveryRepository(db, settings.deliveries_max_finished),
                   purchases=PurchaseRepository(db),
                   journal=JournalRepository(db, settings.journal_max_entries),
                   milestones=MilestoneRepository(db), refunds=RefundRepository(db),
                   chargebacks=ChargebackRepository(db))

    @property
    def tenant_data(self) -> list[DeliveryRepository | PurchaseRepository | RefundRepository
                                  | ChargebackRepository | PaymentRepository | TokenRepository
                                  | JournalRepository | MilestoneRepository]:
        """The repositories holding partners' data, in the order a partner reset empties them
        (deliveries, purchases, refunds and chargebacks before the payments they point at)."""
        return [self.deliveries, self.purchases, self.refunds, self.chargebacks, self.payments,
                self.tokens, self.journal, self.milestones]
