package dev.quark.autoconfigure.eventsourcing;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.eventsourcing.EventStore;
import dev.quark.eventsourcing.EventSubscriptionDefinition;
import dev.quark.eventsourcing.NewEvent;
import dev.quark.eventsourcing.memory.InMemoryEventStore;
import dev.quark.eventsourcing.subscription.EventSubscriptionRunner;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.testkit.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The {@code quarkeventdeadletters} endpoint on a runner stepped by hand: events of stream {@code a} at versions 2 and
 * 3 fail while {@code failing} is set, and are dead-lettered at their first failure.
 */
class EventDeadLettersEndpointTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(QuarkBackendAutoConfiguration.class,
                QuarkLeasesAutoConfiguration.class, QuarkEventStoreAutoConfiguration.class,
                QuarkEventSubscriptionsAutoConfiguration.class, QuarkEventSubscriptionsEndpointAutoConfiguration.class))
        .withBean("balances", EventSubscriptionDefinition.class,
                () -> EventSubscriptionDefinition.of("balances", (event) -> { }));

    private final ManualClock clock = new ManualClock();

    private final InMemoryEventStore store = new InMemoryEventStore(this.clock);

    private final AtomicBoolean failing = new AtomicBoolean(true);

    private final List<String> handled = new ArrayList<>();

    private final EventSubscriptionRunner runner = EventSubscriptionRunner
        .builder(this.store, new InMemoryLeaseStore(this.clock), List.of(
                EventSubscriptionDefinition.of("balances", (event) -> {
                    if (event.version() > 1 && this.failing.get()) {
                        throw new IllegalStateException("cannot project version " + event.version());
                    }
                    this.handled.add(event.stream() + "#" + event.version());
                }), EventSubscriptionDefinition.of("audit", (event) -> { })))
        .clock(this.clock)
        .maxAttempts(1)
        .build();

    private final EventDeadLettersEndpoint endpoint = new EventDeadLettersEndpoint(this.runner);

    @AfterEach
    void close() {
        this.runner.close();
    }

    private void deadLetterVersions2And3() {
        for (int i = 0; i < 3; i++) {
            this.store.append("a", List.of(new NewEvent(UUID.randomUUID(), "Deposited", 1, "{}")),
                    EventStore.ANY_VERSION);
        }
        this.runner.followOnce("balances");
        assertThat(this.handled).containsExactly("a#1");
    }

    @Test
    void theEndpointIsRegisteredOnceExposedWhenThereAreSubscriptions() {
        this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(EventDeadLettersEndpoint.class));
        this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=quarkeventdeadletters")
            .run((context) -> assertThat(context).hasSingleBean(EventDeadLettersEndpoint.class));
        this.contextRunner
            .withPropertyValues("management.endpoints.web.exposure.include=quarkeventdeadletters",
                    "management.endpoint.quarkeventdeadletters.access=NONE")
            .run((context) -> assertThat(context).doesNotHaveBean(EventDeadLettersEndpoint.class));
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(QuarkBackendAutoConfiguration.class,
                    QuarkLeasesAutoConfiguration.class, QuarkEventStoreAutoConfiguration.class,
                    QuarkEventSubscriptionsAutoConfiguration.class,
                    QuarkEventSubscriptionsEndpointAutoConfiguration.class))
            .withPropertyValues("management.endpoints.web.exposure.include=quarkeventdeadletters")
            .run((context) -> assertThat(context).as("no subscriptions, no runner")
                .doesNotHaveBean(EventDeadLettersEndpoint.class));
    }

    @Test
    void aReadListsEachSubscriptionsDeadLettersInFeedOrderWithoutTheirPayloads() {
        deadLetterVersions2And3();

        EventDeadLettersEndpoint.SubscriptionsDescriptor all = this.endpoint.subscriptions(null);
        assertThat(all.subscriptions()).containsOnlyKeys("balances", "audit");
        assertThat(all.subscriptions().get("audit")).isEmpty();
        List<EventDeadLettersEndpoint.DeadLetter> letters = this.endpoint.subscription("balances", null);
        assertThat(letters).extracting(EventDeadLettersEndpoint.DeadLetter::position).containsExactly("2/2", "3/3");
        EventDeadLettersEndpoint.DeadLetter first = letters.getFirst();
        assertThat(first.stream()).isEqualTo("a");
        assertThat(first.version()).isEqualTo(2);
        assertThat(first.type()).isEqualTo("Deposited");
        assertThat(first.attempts()).isEqualTo(1);
        assertThat(first.error()).isEqualTo("java.lang.IllegalStateException: cannot project version 2");
        assertThat(first.deadLetteredAt()).isEqualTo(this.clock.instant());
        assertThat(this.endpoint.subscription("balances", 1)).hasSize(1);
        assertThat(this.endpoint.subscriptions(1).subscriptions().get("balances")).hasSize(1);
    }

    @Test
    void aWriteRetriesOneDeadLetterOrAllStoppingAtOneThatFailsAgainAndADeleteDiscardsOne() {
        deadLetterVersions2And3();

        EventDeadLettersEndpoint.RetriedDescriptor failed = this.endpoint.retry("balances", null);
        assertThat(failed.retried()).isEmpty();
        assertThat(failed.failed()).isEqualTo("2/2");
        assertThat(failed.error()).contains("failed again to handle its dead letter", "cannot project version 2");
        assertThat(this.endpoint.subscription("balances", null)).hasSize(2);

        this.failing.set(false);
        assertThat(this.endpoint.retry("balances", "3/3"))
            .isEqualTo(new EventDeadLettersEndpoint.RetriedDescriptor(List.of("3/3"), null, null));
        assertThat(this.handled).containsExactly("a#1", "a#3");
        assertThat(this.endpoint.retry("balances", "3/3").retried()).as("retried already").isEmpty();

        assertThat(this.endpoint.discard("balances", "2/2").discarded()).isTrue();
        assertThat(this.endpoint.discard("balances", "2/2").discarded()).isFalse();
        assertThat(this.endpoint.subscription("balances", null)).isEmpty();
        assertThat(this.handled).containsExactly("a#1", "a#3");
    }

    @Test
    void badInputIsRefusedNamingItAndChangesNothing() {
        deadLetterVersions2And3();

        assertThatExceptionOfType(InvalidEndpointRequestException.class)
            .isThrownBy(() -> this.endpoint.subscription("totals", null))
            .withMessage("No event subscription named 'totals'; this node follows [balances, audit]");
        assertThatExceptionOfType(InvalidEndpointRequestException.class)
            .isThrownBy(() -> this.endpoint.retry("totals", null))
            .withMessageStartingWith("No event subscription named 'totals'");
        assertThatExceptionOfType(InvalidEndpointRequestException.class)
            .isThrownBy(() -> this.endpoint.discard("totals", "2/2"))
            .withMessageStartingWith("No event subscription named 'totals'");
        for (String position : List.of("2", "x/2", "2/", "/2", "2/2/2")) {
            assertThatExceptionOfType(InvalidEndpointRequestException.class)
                .isThrownBy(() -> this.endpoint.discard("balances", position))
                .withMessage("Feed position '" + position + "' is not transaction/sequence, e.g. 812/4711");
            assertThatExceptionOfType(InvalidEndpointRequestException.class)
                .isThrownBy(() -> this.endpoint.retry("balances", position))
                .withMessageStartingWith("Feed position '" + position + "'");
        }
        assertThatExceptionOfType(InvalidEndpointRequestException.class)
            .isThrownBy(() -> this.endpoint.subscriptions(0))
            .withMessage("limit must be 1 to 1000, was 0");
        assertThatExceptionOfType(InvalidEndpointRequestException.class)
            .isThrownBy(() -> this.endpoint.subscription("balances", 1_001))
            .withMessage("limit must be 1 to 1000, was 1001");
        assertThat(this.endpoint.subscription("balances", null)).as("nothing retried or discarded").hasSize(2);
        assertThat(this.handled).containsExactly("a#1");
    }
}
