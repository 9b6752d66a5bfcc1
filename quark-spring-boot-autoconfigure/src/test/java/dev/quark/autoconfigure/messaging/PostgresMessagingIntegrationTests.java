package dev.quark.autoconfigure.messaging;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcClientAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationListener;
import org.springframework.context.PayloadApplicationEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizationAutoConfiguration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.event.TransactionPhase;
import org.springframework.transaction.event.TransactionalApplicationListener;
import org.springframework.transaction.event.TransactionalEventListener;
import org.springframework.transaction.support.TransactionTemplate;

import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkEndingTransactionsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkChangelog;
import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.jdbc.EndingTransactionMarker;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.messaging.Inbox;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.OutboxMessage;
import dev.quark.messaging.Outbox;
import dev.quark.messaging.store.jdbc.JdbcInboxStore;
import dev.quark.messaging.store.jdbc.JdbcOutboxStore;
import dev.quark.messaging.store.jdbc.OutboxCommitListener;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * Messaging on PostgreSQL as an application gets it: Spring Boot's DataSource, Quark's changelogs, the outbox joining
 * the application's transactions, the dispatcher delivering what committed, the inbox in the consumer's transaction.
 */
class PostgresMessagingIntegrationTests {

    @Test
    void onlyCommittedMessagesAreDeliveredAndTheInboxSharesTheConsumersTransaction() {
        try (PostgresTestSchema schema = PostgresTestServer.get()
            .createSchema(PostgresMessagingIntegrationTests.class)) {
            new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
                        DataSourceTransactionManagerAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
                        JdbcClientAutoConfiguration.class, JacksonAutoConfiguration.class,
                        QuarkBackendAutoConfiguration.class, QuarkLeasesAutoConfiguration.class, QuarkMessagingAutoConfiguration.class))
                .withUserConfiguration(ShopApplication.class)
                .withPropertyValues("quark.messaging.backend=postgres", "quark.messaging.poll-interval=100ms",
                        "spring.datasource.url=" + schema.jdbcUrl(), "spring.datasource.hikari.maximum-pool-size=6")
                .run((context) -> {
                    assertThat(context).hasNotFailed()
                        .hasSingleBean(JdbcOutboxStore.class)
                        .hasSingleBean(JdbcInboxStore.class)
                        .hasBean("quarkJdbcLeaseStore");
                    assertThat(context.getBean("quarkJdbcLeaseStore")).isInstanceOf(JdbcLeaseStore.class);
                    assertThat(context.getBeansOfType(QuarkChangelog.class).values()).extracting(QuarkChangelog::area)
                        .containsExactlyInAnyOrder("messaging", "leases");
                    JdbcClient jdbc = context.getBean(JdbcClient.class);
                    jdbc.sql("create table shop_order (id text primary key)").update();
                    TransactionTemplate transactions = new TransactionTemplate(
                            context.getBean(PlatformTransactionManager.class));
                    Outbox outbox = context.getBean(Outbox.class);

                    MessageId committed = transactions.execute((status) -> {
                        jdbc.sql("insert into shop_order (id) values ('o-1')").update();
                        return outbox.enqueue("orders", "o-1", "placed o-1");
                    });
                    transactions.executeWithoutResult((status) -> {
                        jdbc.sql("insert into shop_order (id) values ('o-2')").update();
                        outbox.enqueue("orders", "o-2", "placed o-2");
                        status.setRollbackOnly();
                    });
                    ShopApplication shop = context.getBean(ShopApplication.class);
                    await().atMost(Duration.ofSeconds(20)).until(() -> !shop.delivered.isEmpty());
                    assertThat(shop.delivered).extracting(OutboxMessage::id).containsExactly(committed);
                    assertThat(jdbc.sql("select count(*) from quark_outbox_message").query(Long.class).single())
                        .isOne();

                    Inbox inbox = context.getBean(Inbox.class);
                    assertThatIllegalStateException().isThrownBy(() -> inbox.process("shipping", "m-1", () -> {
                        jdbc.sql("insert into shop_order (id) values ('shipped-1')").update();
                        throw new IllegalStateException("label printer jammed");
                    }));
                    assertThat(jdbc.sql("select count(*) from shop_order where id = 'shipped-1'").query(Long.class)
                        .single()).isZero();
                    assertThat(inbox.process("shipping", "m-1",
                            () -> jdbc.sql("insert into shop_order (id) values ('shipped-1')").update())).isTrue();
                    assertThat(inbox.process("shipping", "m-1",
                            () -> jdbc.sql("insert into shop_order (id) values ('shipped-1')").update())).isFalse();
                });
        }
    }

    @Test
    void withoutATransactionManagerTheInboxStillRecordsAndRunsTheHandlerInOneTransaction() {
        try (PostgresTestSchema schema = PostgresTestServer.get()
            .createSchema(PostgresMessagingIntegrationTests.class)) {
            new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
                        JdbcTemplateAutoConfiguration.class, JdbcClientAutoConfiguration.class,
                        JacksonAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                        QuarkMessagingAutoConfiguration.class))
                .withPropertyValues("quark.backend=postgres", "quark.messaging.dispatcher.enabled=false",
                        "spring.datasource.url=" + schema.jdbcUrl(), "spring.datasource.hikari.maximum-pool-size=4")
                .run((context) -> {
                    assertThat(context).hasNotFailed().doesNotHaveBean(PlatformTransactionManager.class);
                    JdbcClient jdbc = context.getBean(JdbcClient.class);
                    jdbc.sql("create table shipment (id text primary key)").update();
                    Inbox inbox = context.getBean(Inbox.class);
                    assertThatIllegalStateException().isThrownBy(() -> inbox.process("shipping", "m-1", () -> {
                        jdbc.sql("insert into shipment (id) values ('s-1')").update();
                        throw new IllegalStateException("label printer jammed");
                    }));
                    assertThat(jdbc.sql("select count(*) from shipment").query(Long.class).single())
                        .as("the failed handler's write rolled back with its record").isZero();
                    assertThat(inbox.process("shipping", "m-1",
                            () -> jdbc.sql("insert into shipment (id) values ('s-1')").update())).isTrue();
                });
        }
    }

    @Test
    void withoutATransactionManagerAFirstEnqueueInABeforeCommitListenerOfAnInboxHandlerIsStored() {
        try (PostgresTestSchema schema = PostgresTestServer.get()
            .createSchema(PostgresMessagingIntegrationTests.class)) {
            new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
                        JdbcTemplateAutoConfiguration.class, JdbcClientAutoConfiguration.class,
                        JacksonAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                        QuarkMessagingAutoConfiguration.class))
                .withUserConfiguration(ShopApplication.class)
                .withPropertyValues("quark.backend=postgres", "quark.messaging.dispatcher.enabled=false",
                        "spring.datasource.url=" + schema.jdbcUrl(), "spring.datasource.hikari.maximum-pool-size=4")
                .run((context) -> {
                    assertThat(context).hasNotFailed().doesNotHaveBean(PlatformTransactionManager.class);
                    Outbox outbox = context.getBean(Outbox.class);
                    List<MessageId> enqueued = new CopyOnWriteArrayList<>();
                    ApplicationListener<PayloadApplicationEvent<String>> beforeCommit = TransactionalApplicationListener
                        .forPayload(TransactionPhase.BEFORE_COMMIT,
                                (String order) -> enqueued.add(outbox.enqueue("orders", order, "shipped " + order)));

                    assertThat(context.getBean(Inbox.class).process("shipping", "m-1",
                            () -> beforeCommit.onApplicationEvent(new PayloadApplicationEvent<>(this, "o-1"))))
                        .isTrue();

                    assertThat(enqueued).singleElement().satisfies((id) -> assertThat(context.getBean(JdbcClient.class)
                        .sql("select count(*) from quark_outbox_message where id = ?::uuid")
                        .param(id.toString())
                        .query(Long.class)
                        .single()).isOne());
                });
        }
    }

    @Test
    void aMessageFirstEnqueuedByABeforeCommitEventListenerCommitsWithTheBusinessWrite() {
        try (PostgresTestSchema schema = PostgresTestServer.get()
            .createSchema(PostgresMessagingIntegrationTests.class)) {
            new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
                        DataSourceTransactionManagerAutoConfiguration.class,
                        TransactionManagerCustomizationAutoConfiguration.class, TransactionAutoConfiguration.class,
                        JdbcClientAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
                        JacksonAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                        QuarkLeasesAutoConfiguration.class, QuarkMessagingAutoConfiguration.class,
                        QuarkEndingTransactionsAutoConfiguration.class))
                .withUserConfiguration(ShopApplication.class, OrderEvents.class)
                .withPropertyValues("quark.messaging.backend=postgres", "quark.messaging.poll-interval=100ms",
                        "spring.datasource.url=" + schema.jdbcUrl(), "spring.datasource.hikari.maximum-pool-size=6")
                .run((context) -> {
                    assertThat(context).hasNotFailed().hasSingleBean(OutboxCommitListener.class);
                    assertThat(context).as("the outbox's listener is the one marker of ending transactions")
                        .hasSingleBean(EndingTransactionMarker.class);
                    assertThat(context).as("the outbox's check stands for the marker's")
                        .doesNotHaveBean("quarkEndingTransactionMarkerCheck");
                    assertThat(context.getBean(DataSourceTransactionManager.class).getTransactionExecutionListeners())
                        .containsExactly(context.getBean(OutboxCommitListener.class));
                    assertThat(context.getBean(OutboxCommitListenerCheck.class).unlistened()).isEmpty();
                    JdbcClient jdbc = context.getBean(JdbcClient.class);
                    jdbc.sql("create table shop_order (id text primary key)").update();
                    TransactionTemplate transactions = new TransactionTemplate(
                            context.getBean(PlatformTransactionManager.class));

                    transactions.executeWithoutResult((status) -> {
                        jdbc.sql("insert into shop_order (id) values ('o-1')").update();
                        context.publishEvent(new OrderPlaced("o-1"));
                    });

                    OrderEvents events = context.getBean(OrderEvents.class);
                    ShopApplication shop = context.getBean(ShopApplication.class);
                    await().atMost(Duration.ofSeconds(20)).until(() -> !shop.delivered.isEmpty());
                    assertThat(shop.delivered).extracting(OutboxMessage::id).containsExactlyElementsOf(events.enqueued);
                });
        }
    }

    @Test
    void aTransactionManagerOfTheApplicationWithoutTheOutboxCommitListenerIsNamed() {
        try (PostgresTestSchema schema = PostgresTestServer.get()
            .createSchema(PostgresMessagingIntegrationTests.class)) {
            new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
                        DataSourceTransactionManagerAutoConfiguration.class,
                        TransactionManagerCustomizationAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
                        JdbcClientAutoConfiguration.class, JacksonAutoConfiguration.class,
                        QuarkBackendAutoConfiguration.class, QuarkMessagingAutoConfiguration.class))
                .withUserConfiguration(OwnTransactionManager.class)
                .withPropertyValues("quark.backend=postgres", "quark.messaging.dispatcher.enabled=false",
                        "spring.datasource.url=" + schema.jdbcUrl(), "spring.datasource.hikari.maximum-pool-size=4")
                .run((context) -> {
                    assertThat(context).hasNotFailed().hasSingleBean(OutboxCommitListener.class);
                    assertThat(context.getBean(OutboxCommitListenerCheck.class).unlistened())
                        .containsExactly(context.getBean("ownTransactionManager", DataSourceTransactionManager.class));
                });
        }
    }

    @Test
    void aTransactionManagerOfAnotherDataSourceIsNotNamedNorALazyOneCreated() {
        try (PostgresTestSchema schema = PostgresTestServer.get()
            .createSchema(PostgresMessagingIntegrationTests.class)) {
            new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
                        DataSourceTransactionManagerAutoConfiguration.class,
                        TransactionManagerCustomizationAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
                        JdbcClientAutoConfiguration.class, JacksonAutoConfiguration.class,
                        QuarkBackendAutoConfiguration.class, QuarkMessagingAutoConfiguration.class))
                .withUserConfiguration(OwnTransactionManager.class)
                .withBean("reportingTransactionManager", DataSourceTransactionManager.class,
                        () -> new DataSourceTransactionManager(new DriverManagerDataSource(schema.jdbcUrl())))
                .withBean("lazyTransactionManager", DataSourceTransactionManager.class,
                        () -> new DataSourceTransactionManager(new DriverManagerDataSource(schema.jdbcUrl())),
                        (definition) -> definition.setLazyInit(true))
                .withPropertyValues("quark.backend=postgres", "quark.messaging.dispatcher.enabled=false",
                        "spring.datasource.url=" + schema.jdbcUrl(), "spring.datasource.hikari.maximum-pool-size=4")
                .run((context) -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(OutboxCommitListenerCheck.class).unlistened())
                        .containsExactly(context.getBean("ownTransactionManager", DataSourceTransactionManager.class));
                    assertThat(context.getBeanFactory().containsSingleton("lazyTransactionManager")).isFalse();
                });
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnTransactionManager {

        @Bean
        DataSourceTransactionManager ownTransactionManager(DataSource dataSource) {
            return new DataSourceTransactionManager(dataSource);
        }
    }

    record OrderPlaced(String order) {
    }

    @Configuration(proxyBeanMethods = false)
    static class OrderEvents {

        final List<MessageId> enqueued = new CopyOnWriteArrayList<>();

        private final Outbox outbox;

        OrderEvents(Outbox outbox) {
            this.outbox = outbox;
        }

        @TransactionalEventListener(phase = TransactionPhase.BEFORE_COMMIT)
        void on(OrderPlaced event) {
            this.enqueued.add(this.outbox.enqueue("orders", event.order(), "placed " + event.order()));
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ShopApplication {

        final List<OutboxMessage> delivered = new CopyOnWriteArrayList<>();

        @Bean
        MessagePublisher ordersDestination() {
            return MessagePublisher.of("orders", this.delivered::add);
        }
    }
}
