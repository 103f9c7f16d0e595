"""Stateful fakes for the AWS calls moto lacks or simplifies (see shared/notes/moto.md).

``DynamoDBExtrasFake`` holds Kinesis streaming destinations, Contributor Insights and stream
resource policies, so a test (or ``pitrctl rehearse``) checks a copied setting by reading it back.
``paginate`` makes a moto call that ignores page sizes hand out pages like AWS does.
Standard library, boto3 and botocore only.
"""

from .dynamodb_extras import DynamoDBExtrasFake, paginate

__all__ = ["DynamoDBExtrasFake", "paginate"]
