package dev.quark.samples.bank.probe;

import javax.sql.DataSource;

import dev.quark.eventsourcing.EventSubscriptionDefinition;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The subscription probe: an {@link EventSubscriptionDefinition} on the global event feed whose handler records every
 * event in a table ({@link SubscriptionProbeRecorder}), named after this node
 * ({@code quark.eventstore.subscriptions.node-id}). Every node declares it; the runner has one node follow it at a
 * time, and another take over when that one dies. Needs PostgreSQL (the {@code postgres} profile): start-up fails
 * naming it otherwise.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty("bank.subscription-probe.enabled")
@EnableConfigurationProperties(SubscriptionProbeProperties.class)
class SubscriptionProbeConfiguration {

    @Bean
    EventSubscriptionDefinition subscriptionProbe(SubscriptionProbeProperties properties,
            ObjectProvider<DataSource> dataSource, Environment environment) {
        DataSource database = dataSource.getIfUnique();
        if (database == null) {
            throw new IllegalStateException("bank.subscription-probe.enabled=true needs the postgres profile (one "
                    + "DataSource; the probe records handled events in table " + SubscriptionProbeRecorder.TABLE
                    + "), found " + dataSource.stream().count() + " data sources");
        }
        String node = environment.getProperty("quark.eventstore.subscriptions.node-id", "unnamed");
        SubscriptionProbeRecorder recorder = new SubscriptionProbeRecorder(new JdbcTemplate(database), node,
                properties.handleDelay());
        recorder.createTable();
        return EventSubscriptionDefinition.of(properties.name(), recorder::record);
    }
}
