package dev.quark.autoconfigure.backend;

import javax.sql.DataSource;

import dev.quark.jdbc.EndingTransactionMarker;
import dev.quark.jdbc.TablePrefix;
import dev.quark.messaging.store.jdbc.OutboxCommitListener;
import dev.quark.state.jdbc.JdbcStateStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizationAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.TransactionExecutionListener;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(OutputCaptureExtension.class)
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

    @Test
    void aTransactionManagerOfTheApplicationWithoutTheMarkerIsNamedWhileAStoreWritesInTheCallersTransaction(
            CapturedOutput output) {
        this.runner.withBean(DataSource.class, () -> new DriverManagerDataSource("jdbc:postgresql://127.0.0.1/test"))
            .withBean("ownTransactionManager", DataSourceTransactionManager.class,
                    () -> new DataSourceTransactionManager(new DriverManagerDataSource("jdbc:postgresql://127.0.0.1/test")))
            .withUserConfiguration(AppTransactionManager.class)
            .withBean(JdbcStateStore.class,
                    () -> new JdbcStateStore(new DriverManagerDataSource("jdbc:postgresql://127.0.0.1/test"),
                            new TablePrefix(TablePrefix.DEFAULT)))
            .run((context) -> {
                assertThat(context).hasNotFailed();
                DataSourceTransactionManager app = context.getBean("appTransactionManager",
                        DataSourceTransactionManager.class);
                assertThat(context.getBean(EndingTransactionMarkerCheck.class).unmarked())
                    .as("only the manager of the application's DataSource")
                    .containsExactly(app);
                assertThat(output).contains("Transaction manager " + app + " has no EndingTransactionMarker")
                    .contains("writes of [JdbcStateStore]");
            });
    }

    @Test
    void theTransactionManagerSpringBootConfiguresHasTheMarkerAndIsNotNamed() {
        this.runner.withBean(DataSource.class, () -> new DriverManagerDataSource("jdbc:postgresql://127.0.0.1/test"))
            .withBean(JdbcStateStore.class,
                    () -> new JdbcStateStore(new DriverManagerDataSource("jdbc:postgresql://127.0.0.1/test"),
                            new TablePrefix(TablePrefix.DEFAULT)))
            .run((context) -> assertThat(context.getBean(EndingTransactionMarkerCheck.class).unmarked()).isEmpty());
    }

    @Test
    void noManagerIsNamedWhenNoStoreWritesInTheCallersTransaction(CapturedOutput output) {
        this.runner.withBean(DataSource.class, () -> new DriverManagerDataSource("jdbc:postgresql://127.0.0.1/test"))
            .withUserConfiguration(AppTransactionManager.class)
            .run((context) -> {
                assertThat(context.getBean(EndingTransactionMarkerCheck.class).unmarked()).isEmpty();
                assertThat(output).doesNotContain("has no EndingTransactionMarker");
            });
    }

    @Configuration(proxyBeanMethods = false)
    static class AppTransactionManager {

        @Bean
        DataSourceTransactionManager appTransactionManager(DataSource dataSource) {
            return new DataSourceTransactionManager(dataSource);
        }
    }
}
