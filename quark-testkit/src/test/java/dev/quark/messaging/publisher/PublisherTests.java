package dev.quark.messaging.publisher;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.springframework.context.ApplicationListener;
import org.springframework.context.support.GenericApplicationContext;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.QuarkActor;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.OutboxMessage;
import dev.quark.runtime.ActorTypeView;
import dev.quark.testkit.ActorTestKit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class PublisherTests {

    static final List<String> received = new CopyOnWriteArrayList<>();

    private static OutboxMessage message(String key) {
        return new OutboxMessage(MessageId.next(Clock.systemUTC()), "projections", key, "T", "\"x\"",
                Map.of("tenant", "acme"), Instant.now(), 1);
    }

    @Test
    void theActorDestinationCallsTheKeysActorWithTheMessageIdInItsContext() {
        received.clear();
        try (ActorTestKit kit = ActorTestKit.builder().actor(ProjectionActor.class).build()) {
            ActorMessagePublisher publisher = new ActorMessagePublisher("projections", kit, Projection.class);
            OutboxMessage message = message("order-7");
            publisher.publish(message);
            assertThat(received).containsExactly("order-7:" + message.id() + ":" + message.id() + ":projections:acme");
        }
    }

    @Test
    void twoActorDestinationsLiveInOneRuntimeEachTypeNamedByItsOwnContract() {
        received.clear();
        try (ActorTestKit kit = ActorTestKit.builder().actor(ProjectionActor.class).actor(AuditActor.class).build()) {
            new ActorMessagePublisher("projections", kit, Projection.class).publish(message("order-7"));
            new ActorMessagePublisher("audit", kit, Audit.class).publish(message("order-8"));
            assertThat(received).hasSize(2).anySatisfy((entry) -> assertThat(entry).startsWith("order-7:"))
                .contains("audit:order-8");
            assertThat(kit.runtime().actorTypes()).extracting(ActorTypeView::name)
                .containsExactlyInAnyOrder("Projection", "Audit");
        }
    }

    @Test
    void anActorThatThrowsFailsTheDelivery() {
        received.clear();
        try (ActorTestKit kit = ActorTestKit.builder().actor(ProjectionActor.class).build()) {
            ActorMessagePublisher publisher = new ActorMessagePublisher("projections", kit, Projection.class);
            assertThatIllegalStateException().isThrownBy(() -> publisher.publish(message("poison")))
                .withMessageContaining("poison refused");
        }
    }

    @Test
    void theApplicationEventDestinationPublishesToListenersAndTheirFailureFailsTheDelivery() {
        List<OutboxMessage> events = new CopyOnWriteArrayList<>();
        try (GenericApplicationContext context = new GenericApplicationContext()) {
            context.addApplicationListener((ApplicationListener<OutboxMessageEvent>) (event) -> {
                if (event.getMessage().key().equals("poison")) {
                    throw new IllegalStateException("listener refused");
                }
                events.add(event.getMessage());
            });
            context.refresh();
            ApplicationEventMessagePublisher publisher = new ApplicationEventMessagePublisher("projections", context);
            OutboxMessage message = message("k");
            publisher.publish(message);
            assertThat(events).containsExactly(message);
            assertThatIllegalStateException().isThrownBy(() -> publisher.publish(message("poison")))
                .withMessage("listener refused");
        }
    }

    public interface Projection extends OutboxReceiver {
    }

    public interface Audit extends OutboxReceiver {
    }

    @QuarkActor
    public static class AuditActor extends AbstractActor implements Audit {

        @Override
        public void receive(OutboxMessage message) {
            received.add("audit:" + message.key());
        }
    }

    @QuarkActor
    public static class ProjectionActor extends AbstractActor implements Projection {

        @Override
        public void receive(OutboxMessage message) {
            if (message.key().equals("poison")) {
                throw new IllegalStateException(message.key() + " refused");
            }
            received.add(actorId() + ":" + message.id() + ":" + context().metadata().get(OutboxReceiver.MESSAGE_ID)
                    + ":" + context().metadata().get(OutboxReceiver.DESTINATION) + ":"
                    + context().metadata().get("tenant"));
        }
    }
}
