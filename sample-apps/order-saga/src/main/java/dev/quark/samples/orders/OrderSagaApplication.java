package dev.quark.samples.orders;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * Orders as durable tasks behind a REST API. Run it with {@code ./mvnw -pl sample-apps/order-saga -am
 * spring-boot:run}; the README shows the calls.
 */
@SpringBootApplication
@EnableConfigurationProperties(OrderProperties.class)
public class OrderSagaApplication {

    /**
     * Starts the application.
     * @param args the command line
     */
    public static void main(String[] args) {
        SpringApplication.run(OrderSagaApplication.class, args);
    }
}
