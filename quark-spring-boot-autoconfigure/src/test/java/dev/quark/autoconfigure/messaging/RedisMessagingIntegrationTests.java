package dev.quark.autoconfigure.messaging;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.data.redis.core.StringRedisTemplate;

import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.health.OutboxHealthIndicator;
import dev.quark.autoconfigure.health.QuarkMessagingHealthContributorAutoConfiguration;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.autoconfigure.state.QuarkStateAutoConfiguration;
import dev.quark.lease.redis.RedisLeaseStore;
import dev.quark.messaging.Inbox;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.Outbox;
import dev.quark.messaging.publisher.ApplicationEventMessagePublisher;
import dev.quark.messaging.publisher.OutboxMessageEvent;
import dev.quark.messaging.state.StateOutbox;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.OutboxStore;
import dev.quark.messaging.store.redis.RedisAtomicInbox;
import dev.quark.messaging.store.redis.RedisInboxStore;
import dev.quark.messaging.store.redis.RedisOutboxStore;
import dev.quark.state.StateKey;
import dev.quark.state.StateSerializer;
import dev.quark.state.StateStore;
import dev.quark.state.StateStoreRegistry;
import dev.quark.state.internal.StoreBackedState;
import dev.quark.state.redis.RedisStateStore;
import dev.quark.testkit.server.RedisTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Messaging on Redis as an application gets it: Spring Boot's connection factory, Quark's key prefix, the Redis lease
 * store for the partitions, the dispatcher delivering to a publisher bean, the inbox deduplicating, and a state of the
 * Redis state store saved with a message by the {@code StateOutbox}.
 */
class RedisMessagingIntegrationTests {

    @Test
    void messagesAreDeliveredFromRedisUnderTheKeyPrefixAndTheInboxDeduplicates() {
        RedisTestServer server = RedisTestServer.get();
        String prefix = server.uniqueKeyPrefix(RedisMessagingIntegrationTests.class);
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class, JacksonAutoConfiguration.class,
                    QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class,
                    QuarkStateAutoConfiguration.class, QuarkMessagingAutoConfiguration.class,
                    QuarkMessagingHealthContributorAutoConfiguration.class))
            .withUserConfiguration(ShopApplication.class)
            .withPropertyValues("quark.backend=redis", "quark.redis.key-prefix=" + prefix,
                    "quark.messaging.poll-interval=50ms", "spring.data.redis.host=" + server.host(),
                    "spring.data.redis.port=" + server.port(), "spring.data.redis.timeout=2s",
                    "spring.data.redis.password=" + ((server.password() != null) ? server.password() : ""))
            .run((context) -> {
                assertThat(context).hasNotFailed()
                    .hasSingleBean(RedisOutboxStore.class)
                    .hasSingleBean(RedisInboxStore.class)
                    .hasBean("quarkRedisLeaseStore");
                assertThat(context.getBean("quarkRedisLeaseStore")).isInstanceOf(RedisLeaseStore.class);
                ShopApplication shop = context.getBean(ShopApplication.class);
                MessageId first = context.getBean(Outbox.class).enqueue("orders", "order-1", "placed");
                MessageId second = context.getBean(Outbox.class).enqueue("orders", "order-1", "paid");
                await().atMost(Duration.ofSeconds(20)).until(() -> shop.received.size() == 2);
                assertThat(shop.received).extracting((event) -> event.getMessage().id()).containsExactly(first, second);
                OutboxStore store = context.getBean(OutboxStore.class);
                await().atMost(Duration.ofSeconds(10)).until(() -> store.count(MessageStatus.DELIVERED) == 2);
                assertThat(context.getBean(OutboxHealthIndicator.class).health(true).getStatus()).isEqualTo(Status.UP);

                Inbox inbox = context.getBean(Inbox.class);
                List<String> runs = new CopyOnWriteArrayList<>();
                assertThat(inbox.process("billing", first.toString(), () -> runs.add("bill"))).isTrue();
                assertThat(inbox.process("billing", first.toString(), () -> runs.add("bill"))).isFalse();
                assertThat(runs).containsExactly("bill");
                RedisAtomicInbox atomic = context.getBean(RedisAtomicInbox.class);
                String billed = prefix + "{inbox}:billed";
                assertThat(atomic.process("billing", second.toString(), (writes) -> writes.increment(billed, 30)))
                    .isTrue();
                assertThat(atomic.process("billing", second.toString(), (writes) -> writes.increment(billed, 30)))
                    .isFalse();
                assertThat(inbox.process("billing", second.toString(), () -> runs.add("bill"))).isFalse();
                assertThat(context.getBean(StringRedisTemplate.class).opsForValue().get(billed)).isEqualTo("30");

                StateStore states = context.getBean(StateStoreRegistry.class).store(StateStoreRegistry.DEFAULT);
                assertThat(states).isInstanceOf(RedisStateStore.class);
                StoreBackedState<Long> balance = new StoreBackedState<>(new StateKey("Account", "alice", "balance"),
                        StateStoreRegistry.DEFAULT, states, context.getBean(StateSerializer.class), Long.class);
                balance.reload();
                balance.set(70L);
                List<MessageId> withState = context.getBean(StateOutbox.class)
                    .save(balance, (outbox) -> outbox.enqueue("orders", "alice", "withdrawn 30"));
                await().atMost(Duration.ofSeconds(20)).until(() -> shop.received.size() == 3);
                assertThat(shop.received.get(2).getMessage().id()).isEqualTo(withState.getFirst());

                StringRedisTemplate redis = context.getBean(StringRedisTemplate.class);
                assertThat(redis.hasKey(prefix + "{outbox}:msg:" + first)).isTrue();
                assertThat(redis.opsForHash().get(prefix + "state:Account:alice:balance", "payload")).isEqualTo("70");
                Set<String> keys = redis.keys(prefix + "*");
                assertThat(keys).isNotEmpty();
                redis.delete(keys);
            });
    }

    @Configuration(proxyBeanMethods = false)
    static class ShopApplication {

        final List<OutboxMessageEvent> received = new CopyOnWriteArrayList<>();

        @Bean
        MessagePublisher ordersDestination(ApplicationEventPublisher events) {
            return new ApplicationEventMessagePublisher("orders", events);
        }

        @EventListener
        void on(OutboxMessageEvent event) {
            this.received.add(event);
        }
    }
}
