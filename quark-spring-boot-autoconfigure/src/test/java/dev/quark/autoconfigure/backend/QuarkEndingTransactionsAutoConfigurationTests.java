package dev.quark.autoconfigure.backend;

import javax.sql.DataSource;

import dev.quark.jdbc.EndingTransactionMarker;
import dev.quark.messaging.store.jdbc.OutboxCommitListener;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizationAutoConfiguration;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.TransactionExecutionListener;

import static org.assertj.core.api.Assertions.assertThat;

class QuarkEndingTransactionsAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(DataSourceTransactionManagerAutoConfiguration.class,
                TransactionManagerCustomizationAutoConfiguration.class, QuarkEndingTransactionsAutoConfiguration.class));

    @Test
    void theMarkerIsAddedToTheTransactionManagerSpringBootConfiguresWhenThereIsADataSource() {
        this.runner.withBean(DataSource.class, () -> new DriverManagerDataSource("jdbc:postgresql://127.0.0.1/test"))
            .run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(EndingTransactionMarker.class);
                assertThat(context.getBean(DataSourceTransactionManager.class).getTransactionExecutionListeners())
                    .containsExactly(context.getBean(EndingTransactionMarker.class));
            });
    }

    @Test
    void theOutboxCommitListenerIsTheOneMarkerWhenItIsDeclared() {
        this.runner.withBean(DataSource.class, () -> new DriverManagerDataSource("jdbc:postgresql://127.0.0.1/test"))
            .withBean(OutboxCommitListener.class, OutboxCommitListener::new)
            .run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(EndingTransactionMarker.class);
                assertThat(context.getBeansOfType(TransactionExecutionListener.class)).hasSize(1);
                assertThat(context.getBean(DataSourceTransactionManager.class).getTransactionExecutionListeners())
                    .containsExactly(context.getBean(OutboxCommitListener.class));
            });
    }

    @Test
    void noMarkerWithoutADataSource() {
        this.runner.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(EndingTransactionMarker.class));
    }

    @Test
    void noMarkerWhenQuarkIsDisabled() {
        this.runner.withBean(DataSource.class, () -> new DriverManagerDataSource("jdbc:postgresql://127.0.0.1/test"))
            .withPropertyValues("quark.enabled=false")
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(EndingTransactionMarker.class));
    }
}
