package dev.quark.autoconfigure.backend;

import javax.sql.DataSource;

import dev.quark.jdbc.EndingTransactionMarker;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Declares the {@link EndingTransactionMarker} whenever there is a {@code DataSource}, unless one is declared already
 * (the outbox's {@code OutboxCommitListener} on PostgreSQL messaging, which extends it: one marker, never two). Spring
 * Boot adds every {@code TransactionExecutionListener} bean to the transaction managers it auto-configures, so that
 * writes of Quark's JDBC stores from a finished transaction's {@code afterCompletion} callbacks ({@code AFTER_COMMIT}
 * and {@code AFTER_ROLLBACK} event listeners) are committed on connections of their own instead of being lost on the
 * finished transaction's connection. A transaction manager that the application defines itself needs it added with
 * {@code addListener}; {@link EndingTransactionMarkerCheck} names at start-up those of the {@code DataSource} that lack
 * it while one of Quark's JDBC stores is in use (the outbox's check does so on PostgreSQL messaging).
 */
@AutoConfiguration(afterName = { "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "dev.quark.autoconfigure.messaging.QuarkMessagingAutoConfiguration" })
@ConditionalOnClass(name = "org.springframework.jdbc.datasource.JdbcTransactionObjectSupport")
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@ConditionalOnBean(DataSource.class)
public final class QuarkEndingTransactionsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(EndingTransactionMarker.class)
    EndingTransactionMarker quarkEndingTransactionMarker() {
        return new EndingTransactionMarker();
    }

    @Bean
    @ConditionalOnMissingBean(type = "dev.quark.autoconfigure.messaging.OutboxCommitListenerCheck")
    EndingTransactionMarkerCheck quarkEndingTransactionMarkerCheck(ListableBeanFactory beanFactory,
            ObjectProvider<DataSource> dataSource) {
        return new EndingTransactionMarkerCheck(beanFactory, new TransactionManagersOfDataSource(beanFactory, dataSource));
    }
}
