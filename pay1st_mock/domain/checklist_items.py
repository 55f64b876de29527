"""Pay1st's two go-live checklists as data: the items in Pay1st's order and wording, with the
estimated days and who is responsible (from Pay1st's step-by-step checklist pages; where a page
gives no figure the estimate is ours and marked so), and how the emulator observes each one.

``needs`` are the milestones (``domain/checklist.py`` records them) that together make an item
done; any one of them makes it "in progress". ``problems`` are the milestones that make it a
"problem" when they are newer than its last success. An item with ``manual`` set is ticked by a
person; one with ``from_config`` is judged from the partner's configuration.
"""

from __future__ import annotations

from pay1st_mock.frozen import frozen

PARTNER = "Pay1st Partner"
DEVELOPERS = "Pay1st Partner's Development Team"
TOGETHER = "Pay1st Partner and Pay1st Implementation Manager"


@frozen
class Item:
    """One checklist item."""

    key: str  # stable id: gateway.token, shop.summary, ...
    title: str  # Pay1st's wording
    days: float
    responsible: str
    needs: tuple[str, ...] = ()  # milestone names, all required for "done"
    problems: tuple[str, ...] = ()  # milestone names that mark a problem
    manual: bool = False
    from_config: bool = False
    optional: bool = False  # shown, but not needed for a ready checklist
    estimated: bool = False  # days are our estimate, not Pay1st's figure
    next_step: str = ""  # what to do when it is not done (the emulator may say more)

    @property
    def style(self) -> str:
        """``gateway`` or ``shop``."""
        return self.key.partition(".")[0]


_WELCOME = "Complete the registration steps in Pay1st's welcome e-mail (every invited address)."
_CHANNEL = "Set up a communication channel with Pay1st (Slack preferred)."

GATEWAY: tuple[Item, ...] = (
    Item("gateway.welcome", "Welcome e-mail: complete the registration", 0.5, PARTNER,
         manual=True, next_step=_WELCOME),
    Item("gateway.channel", "Communication channel set up", 0, PARTNER, manual=True,
         estimated=True, next_step=_CHANNEL),
    Item("gateway.credentials", "Configure the partner profile and API credentials", 0.5,
         PARTNER, from_config=True,
         next_step="Create the partner with its API key, API secret and signing key (config "
                   "[[partners]] or POST /_mock/partners)."),
    Item("gateway.webhooks", "Configure webhooks and callbacks", 1, DEVELOPERS,
         from_config=True,
         next_step="Set the partner's webhook URL and its success, failure, pending and cancel "
                   "callback URLs (config [[partners]], PATCH /_mock/partners/{id}, or "
                   "webhookUrl and callback*Url in each Create Payment Request)."),
    Item("gateway.token", "Generate an access token", 2, DEVELOPERS, needs=("token.issued",),
         next_step="POST /api/pay1st/auth/token with Authorization: Basic "
                   "base64(API_KEY:API_SECRET) and {\"role\": \"API_USER\"}."),
    Item("gateway.methods", "List payment methods (when the partner offers method selection)",
         1, PARTNER, needs=("methods.listed",), optional=True,
         next_step="GET /api/pay1st/payments/methods?countryCode=XX with the AccessToken header."),
    Item("gateway.create", "Create a payment request", 2, DEVELOPERS, needs=("payment.created",),
         problems=("payment.create_problem",),
         next_step="POST a signed Create Payment Request to /api/pay1st/payments/create."),
    Item("gateway.checkout", "Redirect the customer by building a checkout link", 1, DEVELOPERS,
         needs=("checkout.reached",), problems=("checkout.link_problem",), estimated=True,
         next_step="Send the customer to /checkout?reference=<reference>&accessToken=<URL-escaped"
                   " token>&channelId=<channels[].id> and complete the payment on the page."),
    Item("gateway.webhook", "Receive the Payment Complete webhook", 2, DEVELOPERS,
         needs=("webhook.ack_successful", "webhook.ack_other", "webhook.refuses_forged",
                "webhook.refuses_stale"),
         problems=("webhook.delivery_problem", "webhook.accepts_forged",
                   "webhook.accepts_stale"), estimated=True,
         next_step="Answer 2xx to correctly signed events (a SUCCESSFUL one and a failed one), "
                   "and refuse badly signed and stale ones: run 'Verify my webhook endpoint' "
                   "(pay1st-mock checklist --verify) or the conformance pack."),
    Item("gateway.fulfilment", "Notify Pay1st of completed fulfilment", 1, DEVELOPERS,
         needs=("fulfilment.accepted", "fulfilment.none_for_unpaid"),
         problems=("fulfilment.problem",), estimated=True,
         next_step="After a SUCCESSFUL event, POST a signed Fulfilment Completion to "
                   "/api/pay1st/payments/fulfilments; never fulfil a payment that failed."),
    Item("gateway.end_to_end", "A full end-to-end test payment", 1, TOGETHER,
         needs=("payment.end_to_end",), estimated=True,
         next_step="Take one payment through every step: create it, open its checkout link and "
                   "pay, acknowledge its SUCCESSFUL event, report its fulfilment."),
    Item("gateway.replicate", "Replicate the staging configuration for production", 1, TOGETHER,
         manual=True, estimated=True,
         next_step="Run 'pay1st-mock config export --partner N' and set the listed values in "
                   "Pay1st's production console; then tick this item."),
    Item("gateway.uat", "A production UAT test", 1, TOGETHER, manual=True, estimated=True,
         next_step="Make a real low-value payment in production with your implementation "
                   "manager; then tick this item."),
)

SHOP: tuple[Item, ...] = (
    Item("shop.welcome", "Welcome e-mail: complete the registration", 0.5, PARTNER, manual=True,
         next_step=_WELCOME),
    Item("shop.channel", "Communication channel set up", 0, PARTNER, manual=True, estimated=True,
         next_step=_CHANNEL),
    Item("shop.products", "Products and product bundles (SKUs) configured, with countries and "
         "pricing", 2, TOGETHER, from_config=True,
         next_step="Add a [[products]] entry for the partner with its countries and bundles, "
                   "each bundle priced in every country."),
    Item("shop.fulfilment_method", "The fulfilment method configured", 0.5, PARTNER,
         from_config=True,
         next_step="Set the product's summary_url (and its Basic Auth username and password)."),
    Item("shop.user_info", "The User Info Webhook implemented", 2, DEVELOPERS,
         needs=("user_info.valid", "user_info.unknown"), problems=("user_info.problem",),
         next_step="Answer 200 with {userId, ...} for a valid, active player and 400 with an "
                   "errorMessage for an unknown one, within the timeout; try both in the Shop."),
    Item("shop.summary", "The Summary Webhook implemented", 3, DEVELOPERS,
         needs=("summary.ack", "summary.refuses_forged", "summary.duplicate_ok"),
         problems=("summary.delivery_problem", "summary.accepts_forged"),
         next_step="Acknowledge Summaries with 2xx, verify X-SIGNATURE (key: the Base64 text of "
                   "username:password) and accept a duplicate without crediting twice: run "
                   "'Verify my webhook endpoint' or the conformance pack."),
    Item("shop.test_transaction", "A test transaction and fulfilment", 1, TOGETHER,
         needs=("shop.purchase_fulfilled",), problems=("summary.delivery_problem",),
         next_step="Buy a bundle in the Shop (/shop) for a valid player and let the Summary "
                   "Webhook credit it."),
    Item("shop.creative", "Creative material (logos, SKU images) prepared", 3, PARTNER,
         manual=True, next_step="Prepare logos and SKU images for production; then tick this "
                                "item."),
    Item("shop.replicate", "Staging configuration replicated for production", 1, TOGETHER,
         manual=True,
         next_step="Run 'pay1st-mock config export --partner N' and set the listed values in "
                   "Pay1st's production console; then tick this item."),
    Item("shop.uat", "A production UAT test", 1, TOGETHER, manual=True, estimated=True,
         next_step="Make a real purchase in the production Shop with your implementation "
                   "manager; then tick this item."),
)

ITEMS: dict[str, Item] = {item.key: item for item in (*GATEWAY, *SHOP)}
